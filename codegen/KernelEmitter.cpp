#include "codegen/KernelEmitter.h"

#include "codegen/CountedLoop.h"
#include "codegen/MatmulTile.h"
#include "codegen/TranscendentalEmitter.h"
#include "codegen/TransposeCopy.h"

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include "ir/Error.h"

namespace sigma::codegen {

using namespace sigma::loop;

llvm::Type* valueType(llvm::LLVMContext& context, ScalarType type) {
  switch (type) {
    case ScalarType::F32: return llvm::Type::getFloatTy(context);
    case ScalarType::I32: return llvm::Type::getInt32Ty(context);
    case ScalarType::I64: return llvm::Type::getInt64Ty(context);
    case ScalarType::Bool: return llvm::Type::getInt1Ty(context);
  }
  fail("codegen: unknown scalar type {}", int(type));
}

llvm::Type* storageType(llvm::LLVMContext& context, ScalarType type) {
  return type == ScalarType::Bool ? llvm::Type::getInt8Ty(context) : valueType(context, type);
}

namespace {

class BodyEmitter {
 public:
  BodyEmitter(const Kernel& kernel, llvm::Function& function, const BufferArgs& buffers, llvm::Value* runtime,
              llvm::Value* step)
      : kernel_(kernel), function_(function), buffers_(buffers), runtime_(runtime), step_(step),
        context_(function.getContext()), b_(context_), lanes_(floatLanes(function)) {}

  void run() {
    if (!kernel_.body) fail("codegen: kernel '{}' has no body", kernel_.name);
    if (!function_.empty()) fail("codegen: kernel '{}' is emitted twice", kernel_.name);
    b_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", &function_));
    emit(kernel_.body);
    b_.CreateRetVoid();
  }

  // A chunk function's body: the loop `op` over [begin, end), its last two
  // parameters (begin < end: the pool never runs an empty chunk).
  void runChunk(const For& op) {
    b_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", &function_));
    const unsigned n = function_.arg_size();
    emitLoop(op, function_.getArg(n - 2), function_.getArg(n - 1));
    b_.CreateRetVoid();
  }

 private:
  // ------------------------------------------------------------- statements

  void emit(const Stmt& s) {
    switch (s->kind) {
      case StmtKind::For: return emitFor(*as<For>(s));
      case StmtKind::Store: return emitStore(*as<Store>(s));
      case StmtKind::Block: return emitBlock(*as<Block>(s));
      case StmtKind::Prefetch: return emitPrefetch(*as<Prefetch>(s));
    }
    fail("codegen: kernel '{}' has a statement of unknown kind {}", kernel_.name, int(s->kind));
  }

  // A matmul register block right after the nest that zeroes its C block
  // (what the lowering makes) starts its accumulators at zero instead:
  // neither the zero stores nor the loads that would read them back.
  void emitBlock(const Block& block) {
    const std::vector<Stmt>& stmts = block.stmts;
    for (size_t i = 0; i < stmts.size(); ++i) {
      if (i + 1 < stmts.size() && stmts[i]->kind == StmtKind::For && stmts[i + 1]->kind == StmtKind::For) {
        const For& next = *as<For>(stmts[i + 1]);
        if (auto tile = emittableTile(next); tile && !goesToThePool(next) && zeroesTileBlock(*as<For>(stmts[i]), *tile)) {
          emitMatmulTile(*tile, /*fromZero=*/true);
          ++i;
          continue;
        }
      }
      emit(stmts[i]);
    }
  }

  // A counted loop over 0..extent (codegen/CountedLoop.h), the extent a
  // constant. An empty loop emits nothing, which also keeps the do-while
  // shape correct (the body runs at least once).
  // A top-level parallel loop becomes a task for the thread pool.
  bool goesToThePool(const For& op) const { return op.parallel && runtime_ && vars_.empty() && op.extent > 1; }

  // A matmul register block the micro-kernel emitter takes (f32 C and B).
  std::optional<MatmulTile> emittableTile(const For& op) const {
    auto tile = matchMatmulTile(op, lanes_);
    if (tile && isF32(tile->store->buffer) && isF32(tile->b->buffer)) return tile;
    return std::nullopt;
  }

  void emitFor(const For& op) {
    if (op.extent == 0) return;
    if (goesToThePool(op)) return emitParallelFor(op);
    if (auto copy = matchTransposeCopy(op, lanes_);
        copy && isF32(copy->store->buffer) && isF32(copy->load->buffer))
      return emitTransposeCopy(*copy);
    if (auto tile = emittableTile(op)) return emitMatmulTile(*tile);
    llvm::Type* i64 = b_.getInt64Ty();
    emitLoop(op, llvm::ConstantInt::get(i64, 0), llvm::ConstantInt::get(i64, op.extent));
  }

  // The loop over [begin, end), begin < end.
  void emitLoop(const For& op, llvm::Value* begin, llvm::Value* end) {
    emitCountedLoop(b_, op.var, begin, end, [&](llvm::Value* index) {
      vars_.emplace_back(op.var, index);
      emit(op.body);
      vars_.pop_back();
    });
  }

  // codegen/MatmulTile.h: C's MR×NR block loaded into MR·NR/L vectors (or
  // zero ones), then per k: NR/L vector loads of B, and per row one A
  // broadcast and NR/L fmas; the block stored after the last k. C and B are
  // addressed from one base each, at constant offsets (row r at r times C's
  // row stride, vector v at v·L), so that the block needs two pointers.
  void emitMatmulTile(const MatmulTile& tile, bool fromZero = false) {
    llvm::Type* i64 = b_.getInt64Ty();
    llvm::Type* f32 = b_.getFloatTy();
    auto* vector = llvm::FixedVectorType::get(f32, unsigned(lanes_));
    const BufferArg &c = lookupBuffer(tile.store->buffer), &bBuffer = lookupBuffer(tile.b->buffer);
    const int64_t vectors = tile.cols / lanes_;
    auto at = [&](llvm::Value* k, llvm::Value* row, const std::function<llvm::Value*()>& emitIt) {
      vars_.emplace_back(tile.k, k);
      vars_.emplace_back(tile.row, row);
      vars_.emplace_back(tile.col, b_.getInt64(0));
      llvm::Value* value = emitIt();
      vars_.resize(vars_.size() - 3);
      return value;
    };
    auto offset = [&](llvm::Value* base, int64_t elements) {
      return elements == 0 ? base : b_.CreateInBoundsGEP(f32, base, {b_.getInt64(uint64_t(elements))});
    };
    llvm::Value* zero = llvm::ConstantInt::get(i64, 0);
    llvm::Value* cBase = at(zero, zero, [&] { return elementAddress(c, tile.store->index); });
    std::vector<llvm::Value*> addresses, accumulators;
    for (int64_t r = 0; r < tile.rows; ++r)
      for (int64_t v = 0; v < vectors; ++v) {
        addresses.push_back(offset(cBase, r * tile.rowStride + v * lanes_));
        accumulators.push_back(fromZero ? static_cast<llvm::Value*>(llvm::Constant::getNullValue(vector))
                                        : b_.CreateAlignedLoad(vector, addresses.back(), llvm::Align(4)));
      }
    std::vector<llvm::Value*> sums = emitCarriedLoop(
        b_, tile.k, zero, llvm::ConstantInt::get(i64, tile.depth), accumulators,
        [&](llvm::Value* k, const std::vector<llvm::Value*>& acc) {
          llvm::Value* bBase = at(k, zero, [&] { return elementAddress(bBuffer, tile.b->index); });
          std::vector<llvm::Value*> bs, next;
          for (int64_t v = 0; v < vectors; ++v)
            bs.push_back(b_.CreateAlignedLoad(vector, offset(bBase, v * lanes_), llvm::Align(4)));
          for (int64_t r = 0; r < tile.rows; ++r) {
            llvm::Value* a = b_.CreateVectorSplat(unsigned(lanes_), at(k, b_.getInt64(uint64_t(r)), [&] { return emit(tile.a); }));
            for (int64_t v = 0; v < vectors; ++v) {
              llvm::Value* sum = acc[size_t(r * vectors + v)];
              next.push_back(b_.CreateIntrinsic(llvm::Intrinsic::fma, {vector}, {a, bs[size_t(v)], sum}));
            }
          }
          return next;
        });
    for (size_t i = 0; i < sums.size(); ++i) b_.CreateAlignedStore(sums[i], addresses[i], llvm::Align(4));
  }

  // codegen/TransposeCopy.h: for each L×L tile (u0, v0), row i is the L
  // loads src(u0.., v0+i), one vector; transposed, row j is the L stores
  // dst(u0+j, v0..). The addresses are the loop IR's own index expressions
  // at those points.
  void emitTransposeCopy(const TransposeCopy& copy) {
    const int64_t lanes = lanes_;
    llvm::Type* i64 = b_.getInt64Ty();
    auto* vector = llvm::FixedVectorType::get(b_.getFloatTy(), unsigned(lanes));
    const BufferArg &dst = lookupBuffer(copy.store->buffer), &src = lookupBuffer(copy.load->buffer);
    auto addressAt = [&](const BufferArg& buffer, const Expr& index, llvm::Value* u, llvm::Value* v) {
      vars_.emplace_back(copy.outer, u);
      vars_.emplace_back(copy.inner, v);
      llvm::Value* address = elementAddress(buffer, index);
      vars_.resize(vars_.size() - 2);
      return address;
    };
    auto tiles = [&](int64_t extent) { return llvm::ConstantInt::get(i64, extent / lanes); };
    emitCountedLoop(b_, copy.outer + ".tile", llvm::ConstantInt::get(i64, 0), tiles(copy.outerExtent), [&](llvm::Value* ut) {
      emitCountedLoop(b_, copy.inner + ".tile", llvm::ConstantInt::get(i64, 0), tiles(copy.innerExtent), [&](llvm::Value* vt) {
        llvm::Value* u0 = b_.CreateMul(ut, b_.getInt64(uint64_t(lanes)), "", true, true);
        llvm::Value* v0 = b_.CreateMul(vt, b_.getInt64(uint64_t(lanes)), "", true, true);
        std::vector<llvm::Value*> rows;
        for (int64_t i = 0; i < lanes; ++i) {
          llvm::Value* v = b_.CreateAdd(v0, b_.getInt64(uint64_t(i)), "", true, true);
          rows.push_back(b_.CreateAlignedLoad(vector, addressAt(src, copy.load->index, u0, v), llvm::Align(4)));
        }
        std::vector<llvm::Value*> columns = transposeInRegisters(b_, std::move(rows));
        for (int64_t j = 0; j < lanes; ++j) {
          llvm::Value* u = b_.CreateAdd(u0, b_.getInt64(uint64_t(j)), "", true, true);
          b_.CreateAlignedStore(columns[size_t(j)], addressAt(dst, copy.store->index, u, v0), llvm::Align(4));
        }
      });
    });
  }

  // A parallel loop: its iterations go into a chunk function taking the
  // kernel's buffers (with their noalias attributes, so the chunk
  // vectorizes as the loop would) and a range; a task unpacks the buffer
  // pointers from a context array and calls it; the kernel hands the task to
  // the pool (codegen/RuntimeABI.h).
  void emitParallelFor(const For& op) {
    llvm::Module& module = *function_.getParent();
    llvm::Type* ptr = b_.getPtrTy();
    llvm::Type* i64 = b_.getInt64Ty();
    const unsigned buffers = function_.arg_size() - 1;  // the last parameter is the runtime

    std::vector<llvm::Type*> chunkParams(buffers, ptr);
    chunkParams.push_back(i64), chunkParams.push_back(i64);
    auto* chunk = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), chunkParams, false),
                                         llvm::Function::InternalLinkage, kernel_.name + "." + op.var + ".chunk", module);
    const llvm::AttributeList attrs = function_.getAttributes();
    chunk->addFnAttrs(llvm::AttrBuilder(context_, attrs.getFnAttrs()));
    BufferArgs chunkArgs;
    for (const auto& [name, arg] : buffers_) {
      const unsigned no = llvm::cast<llvm::Argument>(arg.pointer)->getArgNo();
      chunk->addParamAttrs(no, llvm::AttrBuilder(context_, attrs.getParamAttrs(no)));
      chunk->getArg(no)->setName(name);
      chunkArgs[name] = BufferArg{chunk->getArg(no), arg.buffer};
    }
    chunk->getArg(buffers)->setName(op.var + ".begin");
    chunk->getArg(buffers + 1)->setName(op.var + ".end");
    BodyEmitter(kernel_, *chunk, chunkArgs, nullptr, nullptr).runChunk(op);

    // void task(ptr ctx, i64 begin, i64 end): chunk(ctx[0], ..., begin, end)
    auto* task = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), {ptr, i64, i64}, false),
                                        llvm::Function::InternalLinkage, kernel_.name + "." + op.var + ".task", module);
    task->addFnAttrs(llvm::AttrBuilder(context_, attrs.getFnAttrs()));
    task->removeFnAttr(llvm::Attribute::NoInline);
    {
      llvm::IRBuilder<> tb(llvm::BasicBlock::Create(context_, "entry", task));
      std::vector<llvm::Value*> args;
      for (unsigned i = 0; i < buffers; ++i)
        args.push_back(tb.CreateLoad(ptr, tb.CreateConstInBoundsGEP1_64(ptr, task->getArg(0), i)));
      args.push_back(task->getArg(1)), args.push_back(task->getArg(2));
      tb.CreateCall(chunk, args);
      tb.CreateRetVoid();
    }

    // The context: the kernel's buffer pointers, in an entry-block alloca.
    llvm::IRBuilder<> entry(&function_.getEntryBlock(), function_.getEntryBlock().begin());
    llvm::Value* ctx = entry.CreateAlloca(llvm::ArrayType::get(ptr, buffers), nullptr, op.var + ".ctx");
    for (unsigned i = 0; i < buffers; ++i)
      b_.CreateStore(function_.getArg(i), b_.CreateConstInBoundsGEP1_64(ptr, ctx, i));
    auto* abi = llvm::StructType::get(context_, {ptr, ptr});
    llvm::Value* parallelFor = b_.CreateLoad(ptr, b_.CreateStructGEP(abi, runtime_, 0), "parallel_for");
    llvm::Value* pool = b_.CreateLoad(ptr, b_.CreateStructGEP(abi, runtime_, 1), "pool");
    auto* callee = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, ptr, i64}, false);
    b_.CreateCall(callee, parallelFor, {pool, task, ctx, llvm::ConstantInt::get(i64, op.extent)});
  }

  void emitStore(const Store& op) {
    const BufferArg& buffer = lookupBuffer(op.buffer);
    if (op.value->type != buffer.buffer->type)
      fail("codegen: kernel '{}' stores a {} value into {} buffer '{}'", kernel_.name, scalarTypeName(op.value->type),
           scalarTypeName(buffer.buffer->type), op.buffer);
    llvm::Value* address = elementAddress(buffer, op.index);
    llvm::Value* value = emit(op.value);
    if (op.value->type == ScalarType::Bool) value = b_.CreateZExt(value, b_.getInt8Ty());
    b_.CreateStore(value, address);
  }

  // A read prefetch of the element's cache line into the outer caches
  // (locality 1: prefetcht2), not L1: the training loop prefetches the next
  // step's samples at the start of a step, and L1 would lose them to the
  // step's own data long before they are read.
  void emitPrefetch(const Prefetch& op) {
    llvm::Value* address = elementAddress(lookupBuffer(op.buffer), op.index);
    b_.CreateIntrinsic(llvm::Intrinsic::prefetch, {address->getType()},
                       {address, b_.getInt32(0), b_.getInt32(1), b_.getInt32(1)});
  }

  // ------------------------------------------------------------ expressions

  llvm::Value* emit(const Expr& e) {
    switch (e->kind) {
      case ExprKind::FloatImm:
        // Through APFloat(float), so that -0.0 and NaN payloads survive.
        return llvm::ConstantFP::get(context_, llvm::APFloat(as<FloatImm>(e)->value));
      case ExprKind::IntImm: return b_.getInt64(uint64_t(as<IntImm>(e)->value));
      case ExprKind::Var: return lookupVar(as<Var>(e)->name);
      case ExprKind::Load: return emitLoad(*as<Load>(e));
      case ExprKind::Unary: return emitUnary(*as<Unary>(e));
      case ExprKind::Binary: return emitBinary(*as<Binary>(e));
      case ExprKind::Select: return emitSelect(*as<Select>(e));
      case ExprKind::Cast: return emitCast(*as<Cast>(e));
      case ExprKind::MulAdd: {
        const MulAdd* m = as<MulAdd>(e);
        llvm::Value *a = emit(m->a), *b = emit(m->b), *c = emit(m->c);
        return b_.CreateIntrinsic(llvm::Intrinsic::fma, {a->getType()}, {a, b, c});  // one rounding, as fmaf
      }
    }
    fail("codegen: kernel '{}' has an expression of unknown kind {}", kernel_.name, int(e->kind));
  }

  llvm::Value* emitLoad(const Load& op) {
    const BufferArg& buffer = lookupBuffer(op.buffer);
    if (op.type != buffer.buffer->type)
      fail("codegen: kernel '{}' loads a {} from {} buffer '{}'", kernel_.name, scalarTypeName(op.type),
           scalarTypeName(buffer.buffer->type), op.buffer);
    llvm::Value* value = b_.CreateLoad(storageType(context_, op.type), elementAddress(buffer, op.index), op.buffer);
    return op.type == ScalarType::Bool ? b_.CreateICmpNE(value, b_.getInt8(0)) : value;
  }

  llvm::Value* emitUnary(const Unary& op) {
    llvm::Value* a = emit(op.a);
    if (op.a->type != ScalarType::F32) {  // i32 / i64: only neg and abs
      if (op.a->type == ScalarType::Bool) unsupported(unaryOpName(op.op), op.a->type);
      // Both wrap on the minimum integer, as two's complement hardware does.
      if (op.op == UnaryOp::Neg) return b_.CreateNeg(a);
      if (op.op == UnaryOp::Abs) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::abs, a, b_.getFalse());
      unsupported(unaryOpName(op.op), op.a->type);
    }
    switch (op.op) {
      case UnaryOp::Neg: return b_.CreateFNeg(a);  // flips the sign bit only, as -x in C
      case UnaryOp::Abs: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a);
      case UnaryOp::Sign: {
        // ±1 with a's sign where a is neither zero nor NaN (an ordered
        // compare is false for NaN): sign(NaN) = 0 and sign(-0) = 0. One
        // compare and a bit operation rather than two compares: in W2's fused
        // updates the compares' pipes are the bottleneck, and the mask is
        // the one |sign(w)| (the zero count) needs too.
        llvm::Value* nonzero = b_.CreateFCmpONE(a, floatConst(0.0f));
        llvm::Value* unit = b_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, floatConst(1.0f), a);
        return b_.CreateSelect(nonzero, unit, floatConst(0.0f));
      }
      // Sigma's vectorizable approximations (ir/FastTanh.h, ir/FastExpLog.h).
      case UnaryOp::Tanh: return emitFastTanh(b_, a);
      case UnaryOp::Exp: return emitFastExp(b_, a);
      case UnaryOp::Log: return emitFastLog(b_, a);
      case UnaryOp::Sqrt: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, a);  // correctly rounded, like sqrtf
    }
    unsupported(unaryOpName(op.op), op.a->type);
  }

  llvm::Value* emitBinary(const Binary& op) {
    if (op.a->type != op.b->type)
      fail("codegen: kernel '{}': {} of {} and {} operands", kernel_.name, binaryOpName(op.op),
           scalarTypeName(op.a->type), scalarTypeName(op.b->type));
    llvm::Value* a = emit(op.a);
    llvm::Value* b = emit(op.b);
    switch (op.a->type) {
      case ScalarType::F32:
        // No fast-math flags: IEEE results, the same as the interpreter's.
        switch (op.op) {
          case BinaryOp::Add: return b_.CreateFAdd(a, b);
          case BinaryOp::Sub: return b_.CreateFSub(a, b);
          case BinaryOp::Mul: return b_.CreateFMul(a, b);
          case BinaryOp::Div: return b_.CreateFDiv(a, b);
          // minimum/maximum (not minnum/maxnum): NaN in, NaN out; -0 < +0.
          case BinaryOp::Min: return b_.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, b);
          case BinaryOp::Max:
            if (isAbs(op.b)) return maximumOfMagnitude(a, b);
            if (isAbs(op.a)) return maximumOfMagnitude(b, a);
            return b_.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, b);
          case BinaryOp::Lt: return b_.CreateFCmpOLT(a, b);
          case BinaryOp::Le: return b_.CreateFCmpOLE(a, b);
          case BinaryOp::Eq: return b_.CreateFCmpOEQ(a, b);
          case BinaryOp::Ne: return b_.CreateFCmpUNE(a, b);  // true for NaN, as != in C
          case BinaryOp::Mod: break;
        }
        break;
      case ScalarType::I32:
      case ScalarType::I64:
        // No nsw/nuw: overflow wraps instead of being undefined.
        switch (op.op) {
          case BinaryOp::Add: return b_.CreateAdd(a, b);
          case BinaryOp::Sub: return b_.CreateSub(a, b);
          case BinaryOp::Mul: return b_.CreateMul(a, b);
          case BinaryOp::Div: return b_.CreateSDiv(a, b);  // truncates toward zero, as in C
          case BinaryOp::Mod: return b_.CreateSRem(a, b);  // sign of the dividend, as in C
          case BinaryOp::Min: return b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, a, b);
          case BinaryOp::Max: return b_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a, b);
          case BinaryOp::Lt: return b_.CreateICmpSLT(a, b);
          case BinaryOp::Le: return b_.CreateICmpSLE(a, b);
          case BinaryOp::Eq: return b_.CreateICmpEQ(a, b);
          case BinaryOp::Ne: return b_.CreateICmpNE(a, b);
        }
        break;
      case ScalarType::Bool:
        if (op.op == BinaryOp::Eq) return b_.CreateICmpEQ(a, b);
        if (op.op == BinaryOp::Ne) return b_.CreateICmpNE(a, b);
        break;
    }
    unsupported(binaryOpName(op.op), op.a->type);
  }

  llvm::Value* emitSelect(const Select& op) {
    // Both arms are evaluated, as the interpreter does (which rejects an
    // out-of-bounds load or a division by zero even in the arm not taken),
    // so a plain select is exact and leaves the loop branch-free.
    llvm::Value* cond = emit(op.cond);
    llvm::Value* t = emit(op.trueValue);
    llvm::Value* f = emit(op.falseValue);
    return b_.CreateSelect(cond, t, f);
  }

  llvm::Value* emitCast(const Cast& op) {
    ScalarType from = op.a->type, to = op.type;
    if (from == ScalarType::Bool || to == ScalarType::Bool) fail("codegen: kernel '{}' casts to or from bool", kernel_.name);
    llvm::Value* a = emit(op.a);
    if (from == to) return a;
    llvm::Type* target = valueType(context_, to);
    // f32 -> int truncates toward zero and saturates, NaN giving 0
    // (fptosi.sat, defined everywhere, unlike fptosi and C's cast); int ->
    // f32 rounds to nearest; i32 -> i64 sign-extends, i64 -> i32 wraps.
    if (from == ScalarType::F32) return b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {target, a->getType()}, {a});
    if (to == ScalarType::F32) return b_.CreateSIToFP(a, target);
    return b_.CreateSExtOrTrunc(a, target);
  }

  // ---------------------------------------------------------------- helpers

  static bool isAbs(const Expr& e) {
    const Unary* u = as<Unary>(e);
    return u && u->op == UnaryOp::Abs;
  }

  // maximum(a, m) where m = |x| has its sign bit clear (max|w|'s statistic):
  // isnan(a) ? a : (a > m ? a : m). When both are zeros, m is +0, which
  // maximum would return; a NaN m falls through to m. The same value as
  // llvm.maximum, without the sign-of-zero ordering x86 needs several
  // instructions for (a compare and a max instead of eight, 13 times a step
  // in W1).
  llvm::Value* maximumOfMagnitude(llvm::Value* a, llvm::Value* magnitude) {
    llvm::Value* larger = b_.CreateSelect(b_.CreateFCmpOGT(a, magnitude), a, magnitude);
    return b_.CreateSelect(b_.CreateFCmpUNO(a, a), a, larger);
  }

  llvm::Value* floatConst(float v) { return llvm::ConstantFP::get(context_, llvm::APFloat(v)); }


  llvm::Value* elementAddress(const BufferArg& buffer, const Expr& index) {
    if (index->type != ScalarType::I64)
      fail("codegen: kernel '{}' indexes buffer '{}' with a {}", kernel_.name, buffer.buffer->name,
           scalarTypeName(index->type));
    llvm::Value* i = emit(index);
    return b_.CreateInBoundsGEP(storageType(context_, buffer.buffer->type), buffer.pointer, {i});
  }

  bool isF32(const std::string& buffer) const { return lookupBuffer(buffer).buffer->type == ScalarType::F32; }

  const BufferArg& lookupBuffer(const std::string& name) const {
    auto it = buffers_.find(name);
    if (it == buffers_.end()) fail("codegen: kernel '{}' uses unknown buffer '{}'", kernel_.name, name);
    return it->second;
  }

  llvm::Value* lookupVar(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)  // innermost loop first: shadowing
      if (it->first == name) return it->second;
    if (step_ && name == kLoopStepVar) return step_;
    fail("codegen: kernel '{}' uses loop variable '{}' outside a loop over it", kernel_.name, name);
  }

  [[noreturn]] void unsupported(const char* op, ScalarType type) const {
    fail("codegen: kernel '{}': {} of a {} operand is not defined", kernel_.name, op, scalarTypeName(type));
  }

  const Kernel& kernel_;
  llvm::Function& function_;
  const BufferArgs& buffers_;
  llvm::Value* runtime_;
  llvm::Value* step_;  // a loop kernel's %step parameter
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> b_;
  std::vector<std::pair<std::string, llvm::Value*>> vars_;  // enclosing loops, outermost first
  int64_t lanes_;  // f32 lanes of the target's widest vector (transpose copies' tiles)
};

}  // namespace

void emitKernelBody(const Kernel& kernel, llvm::Function& function, const BufferArgs& buffers, llvm::Value* runtime,
                    llvm::Value* step) {
  BodyEmitter(kernel, function, buffers, runtime, step).run();
}

}  // namespace sigma::codegen
