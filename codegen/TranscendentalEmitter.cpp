#include "codegen/TranscendentalEmitter.h"

#include <limits>

#include "ir/FastExpLog.h"
#include "ir/FastTanh.h"

namespace sigma::codegen {

namespace {
llvm::Value* f32(llvm::IRBuilder<>& b, float v) { return llvm::ConstantFP::get(b.getFloatTy(), v); }
llvm::Value* i32(llvm::IRBuilder<>& b, uint32_t v) { return b.getInt32(v); }
// a·c + d as a multiply then an add (two roundings), as the reference writes it.
llvm::Value* mulAdd(llvm::IRBuilder<>& b, llvm::Value* a, llvm::Value* c, llvm::Value* d) {
  return b.CreateFAdd(b.CreateFMul(a, c), d);
}
llvm::Value* minimum(llvm::IRBuilder<>& b, llvm::Value* a, float c) {
  return b.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, f32(b, c));
}
llvm::Value* maximum(llvm::IRBuilder<>& b, llvm::Value* a, float c) {
  return b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, f32(b, c));
}
}  // namespace

llvm::Value* emitFastTanh(llvm::IRBuilder<>& b, llvm::Value* a) {
  using namespace fasttanh;
  llvm::Value* x = maximum(b, minimum(b, a, kClamp), -kClamp);
  llvm::Value* x2 = b.CreateFMul(x, x);
  llvm::Value* p = f32(b, kAlpha[0]);
  for (int i = 1; i < 7; ++i) p = mulAdd(b, p, x2, f32(b, kAlpha[i]));
  p = b.CreateFMul(p, x);
  llvm::Value* q = f32(b, kBeta[0]);
  for (int i = 1; i < 4; ++i) q = mulAdd(b, q, x2, f32(b, kBeta[i]));
  llvm::Value* tiny = b.CreateFCmpOLT(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a), f32(b, kTiny));
  return b.CreateSelect(tiny, a, b.CreateFDiv(p, q));
}

llvm::Value* emitFastExp(llvm::IRBuilder<>& b, llvm::Value* a) {
  using namespace fastexplog;
  llvm::Value* x = maximum(b, minimum(b, a, kExpMax), kExpMin);
  llvm::Value* n = b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, mulAdd(b, x, f32(b, kLog2e), f32(b, 0.5f)));
  llvm::Value* r = b.CreateFSub(x, b.CreateFMul(n, f32(b, kLn2Hi)));
  r = b.CreateFSub(r, b.CreateFMul(n, f32(b, kLn2Lo)));
  llvm::Value* p = f32(b, kExpPoly[0]);
  for (int i = 1; i < 6; ++i) p = mulAdd(b, p, r, f32(b, kExpPoly[i]));
  llvm::Value* y = b.CreateFAdd(mulAdd(b, p, b.CreateFMul(r, r), r), f32(b, 1.0f));
  // 2^(n-1) from its bits; llvm.fptosi.sat maps NaN to 0, as toInt does.
  llvm::Value* ni = b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {b.getInt32Ty(), b.getFloatTy()}, {n});
  llvm::Value* half = b.CreateBitCast(b.CreateShl(b.CreateAdd(ni, i32(b, 126)), i32(b, 23)), b.getFloatTy());
  llvm::Value* e = b.CreateFMul(b.CreateFMul(y, f32(b, 2.0f)), half);
  llvm::Value* zeroIfSmall = b.CreateSelect(b.CreateFCmpOLT(a, f32(b, kExpMin)), f32(b, 0.0f), e);
  llvm::Value* result = b.CreateSelect(b.CreateFCmpOGT(a, f32(b, kExpMax)),
                                       f32(b, std::numeric_limits<float>::infinity()), zeroIfSmall);
  return b.CreateSelect(b.CreateFCmpUNO(a, a), a, result);
}

llvm::Value* emitFastLog(llvm::IRBuilder<>& b, llvm::Value* a) {
  using namespace fastexplog;
  llvm::Type* f32Type = b.getFloatTy();
  llvm::Value* subnormal = b.CreateFCmpOLT(a, f32(b, kSmallestNormal));
  llvm::Value* scaled = b.CreateSelect(subnormal, b.CreateFMul(a, f32(b, kTwo23)), a);
  llvm::Value* bits = b.CreateBitCast(scaled, b.getInt32Ty());
  llvm::Value* exponent = b.CreateSub(b.CreateLShr(bits, i32(b, 23)),
                                      b.CreateSelect(subnormal, i32(b, 127 + 23), i32(b, 127)));
  llvm::Value* m = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, i32(b, 0x007fffffu)), i32(b, 0x3f800000u)), f32Type);
  llvm::Value* big = b.CreateFCmpOGT(m, f32(b, kSqrtHalfTimes2));
  m = b.CreateSelect(big, b.CreateFMul(m, f32(b, 0.5f)), m);
  llvm::Value* fe = b.CreateSIToFP(b.CreateSelect(big, b.CreateAdd(exponent, i32(b, 1)), exponent), f32Type);
  llvm::Value* f = b.CreateFSub(m, f32(b, 1.0f));
  llvm::Value* z = b.CreateFMul(f, f);
  llvm::Value* p = f32(b, kLogPoly[0]);
  for (int i = 1; i < 9; ++i) p = mulAdd(b, p, f, f32(b, kLogPoly[i]));
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, f), z);
  y = b.CreateFAdd(y, b.CreateFMul(fe, f32(b, kLn2Lo)));
  y = b.CreateFSub(y, b.CreateFMul(f32(b, 0.5f), z));
  llvm::Value* r = b.CreateFAdd(f, y);
  r = b.CreateFAdd(r, b.CreateFMul(fe, f32(b, kLn2Hi)));
  const float inf = std::numeric_limits<float>::infinity();
  llvm::Value* result = b.CreateSelect(b.CreateFCmpOEQ(a, f32(b, inf)), f32(b, inf), r);
  result = b.CreateSelect(b.CreateFCmpOEQ(a, f32(b, 0.0f)), f32(b, -inf), result);
  result = b.CreateSelect(b.CreateFCmpOLT(a, f32(b, 0.0f)), f32(b, std::numeric_limits<float>::quiet_NaN()), result);
  return b.CreateSelect(b.CreateFCmpUNO(a, a), a, result);
}

}  // namespace sigma::codegen
