// Errors with a place, as a user meets them: the built `sigma` binary run
// on malformed graph-IR and loop-IR text, unknown pass names, invalid flags
// and commands, and missing, truncated, ragged or wrong-magic data files.
// Each case checks the exit code and the one line printed, which names the
// file (with line and column where the input is text) and what is wrong.
// docs/errors.md lists these message classes. `sigma train` flags and model
// specs are covered one by one in TrainCliTest.cpp.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "TrainTestSupport.h"

namespace {

class ErrorsTempDir {
 public:
  ErrorsTempDir() {
    char pattern[] = "/tmp/sigma-errors-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ErrorsTempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to NAME and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(file(name)).parent_path());
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

 private:
  std::string path_;
};

using sigma::traintest::runSigma;
using CliResult = sigma::traintest::CliRun;

// A run that must fail with exit code `code` and print exactly one line,
// which is returned.
std::string errorLine(const std::string& args, int code = 1) {
  CliResult run = runSigma(args);
  EXPECT_EQ(run.status, code) << "sigma " << args << "\n" << run.output;
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << "sigma " << args << "\n" << run.output;
  return run.output.substr(0, run.output.find('\n'));
}

// ---- IDX files (Fashion-MNIST's format) ------------------------------------

void putBigEndian(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(char(v >> (8 * i)));
}

std::string idxImages(uint32_t count, uint32_t rows = 28, uint32_t cols = 28) {
  std::string s;
  putBigEndian(s, 0x00000803);
  putBigEndian(s, count);
  putBigEndian(s, rows);
  putBigEndian(s, cols);
  s.append(size_t(count) * rows * cols, char(7));
  return s;
}

std::string idxLabels(uint32_t count) {
  std::string s;
  putBigEndian(s, 0x00000801);
  putBigEndian(s, count);
  for (uint32_t i = 0; i < count; ++i) s.push_back(char(i % 10));
  return s;
}

// A directory of the four Fashion-MNIST files, unpacked (the reader takes
// NAME or NAME.gz), `count` samples in each split.
void writeIdxDir(const ErrorsTempDir& dir, const std::string& name, uint32_t count) {
  dir.write(name + "/train-images-idx3-ubyte", idxImages(count));
  dir.write(name + "/train-labels-idx1-ubyte", idxLabels(count));
  dir.write(name + "/t10k-images-idx3-ubyte", idxImages(count));
  dir.write(name + "/t10k-labels-idx1-ubyte", idxLabels(count));
}

}  // namespace

// ---- malformed IR text: FILE:LINE:COL: error: WHAT -------------------------

TEST(ErrorMessages, MalformedGraphIRNamesFileLineAndColumn) {
  ErrorsTempDir dir;
  struct Case {
    std::string text, expected;  // expected: the line after "FILE:"
  };
  const std::vector<Case> cases = {
      {"graph @g {\n  %x = input : f32[4,2]\n  %0 = add %x, %y : f32[4,2]\n}\n",
       "3:16: error: use of undefined value %y"},
      {"graph @g {\n  %x = input : f32[4,2]\n  %0 = add %x %x : f32[4,2]\n}\n",
       "3:15: error: expected ',' and another operand (add takes 2) but found '%x'"},
      {"graph @g {\n  %x = input : f32[4,2]\n  %0 = add %x, %x : f32[4,3]\n}\n",
       "3:21: error: type mismatch: %0 is declared f32[4,3] but add of f32[4,2] and f32[4,2] gives f32[4,2]"},
      {"graph @g {\n  %x = input : f32[4,2]\n  %x = input : f32[4,2]\n}\n",
       "3:3: error: redefinition of value %x (first defined at 2:3)"},
      {"graph @g {\n  %x = input : f32[4,2]\n  %0 = tanh %x : f32[4,2] $\n}\n",
       "3:27: error: unexpected character '$'"},
      {"graph @g {\n  %x = input : f32[4,x]\n}\n",
       "2:22: error: expected a dimension (a non-negative integer) but found 'x'"},
      {"hello world\n", "1:1: error: expected 'graph' at the start of the input but found 'hello'"},
      {"graph @g {\n  %x = input : f32[4,2]\n", "3:1: error: expected a node ('%name = ...'), 'output', 'update' or '}' "
                                                 "but found end of input"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = dir.write("g" + std::to_string(i) + ".sg", cases[i].text);
    EXPECT_EQ(errorLine("opt " + path), path + ":" + cases[i].expected) << cases[i].text;
  }
}

TEST(ErrorMessages, ShapeAndDtypeMismatchesNameTheOpAndTheOperandTypes) {
  ErrorsTempDir dir;
  std::string path = dir.write("mm.sg",
                               "graph @g {\n  %x = input : f32[4,2]\n  %w = input : f32[3,3]\n"
                               "  %0 = matmul %x, %w : f32[4,3]\n}\n");
  EXPECT_EQ(errorLine("opt " + path),
            path + ":4:8: error: matmul: inner dimensions differ (2 vs 3) for operands f32[4,2] and f32[3,3]");
  path = dir.write("bc.sg",
                   "graph @g {\n  %a = input : f32[4,3]\n  %b = input : f32[2,3]\n  %c = add %a, %b : f32[4,3]\n}\n");
  std::string line = errorLine("opt " + path);
  EXPECT_EQ(line.rfind(path + ":4:8: error: add", 0), 0u) << line;
  EXPECT_NE(line.find("f32[4,3]"), std::string::npos) << line;
  EXPECT_NE(line.find("f32[2,3]"), std::string::npos) << line;
  path = dir.write("dt.sg",
                   "graph @g {\n  %a = input : f32[4]\n  %b = input : i32[4]\n  %c = add %a, %b : f32[4]\n}\n");
  line = errorLine("opt " + path);
  EXPECT_EQ(line.rfind(path + ":4:8: error: add", 0), 0u) << line;
  EXPECT_NE(line.find("f32[4] and i32[4] have different element types"), std::string::npos) << line;
}

TEST(ErrorMessages, MalformedLoopIRNamesFileLineAndColumn) {
  ErrorsTempDir dir;
  struct Case {
    std::string text, expected;
  };
  const std::vector<Case> cases = {
      {"module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[0] = %nowhere[1]\n  }\n}\n",
       "4:13: error: unknown buffer %nowhere"},
      {"module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    for %i in 0..4 {\n      %o[%i] = 1.0 +\n"
       "    }\n  }\n}\n",
       "6:5: error: expected an expression, found '}'"},
      {"module @m {\n  buffer %o : f32[4] output\n  buffer %o : f32[2] temp\n}\n",
       "3:10: error: duplicate buffer %o"},
      {"module @m {\n  buffer %o : f64[4] output\n}\n",
       "2:15: error: expected an element type (f32, i32, i64, bool), found 'f64'"},
      {"module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    for %i in 1..4 {\n      %o[%i] = 1.0\n"
       "    }\n  }\n}\n",
       "4:15: error: expected 0 (loops start at 0), found '1'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = dir.write("l" + std::to_string(i) + ".sl", cases[i].text);
    EXPECT_EQ(errorLine("opt " + path), path + ":" + cases[i].expected) << cases[i].text;
  }
  // Well-formed text that breaks an invariant: the verifier names the kernel,
  // the buffer, the index and its range.
  const std::string path = dir.write(
      "oob.sl", "module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    for %i in 0..5 {\n      %o[%i] = 1.0\n"
                "    }\n  }\n}\n");
  std::string line = errorLine("opt " + path + " --passes verify-loops");
  EXPECT_NE(line.find("kernel @k"), std::string::npos) << line;
  EXPECT_NE(line.find("%o"), std::string::npos) << line;
  EXPECT_NE(line.find("outside [0, 4)"), std::string::npos) << line;
}

TEST(ErrorMessages, UnknownPassNamesListTheKnownOnes) {
  ErrorsTempDir dir;
  const std::string path = dir.write("ok.sg", "graph @g {\n  %x = input : f32[4,2]\n  %0 = tanh %x : f32[4,2]\n}\n");
  std::string line = errorLine("opt " + path + " --passes verify,no-such-pass");
  EXPECT_EQ(line.rfind("sigma opt: error: unknown pass 'no-such-pass' (known passes: ", 0), 0u) << line;
  EXPECT_NE(line.find("lower-to-loops"), std::string::npos) << line;
  line = errorLine("opt " + path + " --print-after nope");
  EXPECT_EQ(line.rfind("sigma opt: error: unknown pass 'nope' (known passes: ", 0), 0u) << line;
  line = errorLine("inspect --print-after nope");
  EXPECT_EQ(line.rfind("sigma inspect: error: unknown pass 'nope' (known passes: ", 0), 0u) << line;
}

// ---- the command line --------------------------------------------------------

TEST(ErrorMessages, InvalidCommandsAndFlags) {
  // An unknown command prints the usage after the one-line error: exit 2.
  CliResult run = runSigma("frobnicate");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_EQ(run.output.rfind("sigma: unknown command 'frobnicate'\nusage: sigma <command>", 0), 0u) << run.output;

  // Every other mistake: exit 1 and one line naming the flag.
  EXPECT_TRUE(errorLine("train --bogus").ends_with("unknown argument '--bogus' (see sigma help)"));
  EXPECT_TRUE(errorLine("inspect --bogus 3").ends_with("unknown argument '--bogus' (see sigma help)"));
  EXPECT_TRUE(errorLine("opt --passes").ends_with("--passes needs a value"));
  EXPECT_EQ(errorLine("inspect --emit pixels"),
            "sigma inspect: error: --emit takes forward, graph, loop, llvm, asm, dot or svg, not 'pixels'");
  EXPECT_TRUE(errorLine("train --steps ten").ends_with("--steps expects an integer, got 'ten'"));
  EXPECT_TRUE(errorLine("train --data xor --epochs -1").ends_with("--epochs must be positive, got -1"));
  // (--progress is checked after the model is compiled, whose summary
  // comes first: only the last line is the error.)
  CliResult progress = runSigma("train --data xor --progress loud");
  EXPECT_EQ(progress.status, 1) << progress.output;
  EXPECT_TRUE(progress.output.ends_with("sigma train: error: --progress takes auto, bar, lines or off, not 'loud'\n"))
      << progress.output;
}

TEST(ErrorMessages, MissingInputFiles) {
  ErrorsTempDir dir;
  EXPECT_EQ(errorLine("opt " + dir.file("none.sg")), "sigma opt: error: cannot open " + dir.file("none.sg"));
  EXPECT_TRUE(errorLine("opt").ends_with("which file? usage: sigma opt FILE.sg --passes a,b,c"));
  EXPECT_TRUE(errorLine("train --data xor --model " + dir.file("none.sg")).find(dir.file("none.sg")) !=
              std::string::npos);
}

// ---- data files ---------------------------------------------------------------

TEST(ErrorMessages, CsvDataFiles) {
  ErrorsTempDir dir;
  const std::string e = "sigma train: error: ";
  const std::string train = "train --model mlp:2-4-2 --epochs 1 --progress off --data csv:";
  EXPECT_EQ(errorLine(train + dir.file("none.csv")), e + "cannot open " + dir.file("none.csv") + ": No such file or directory");
  EXPECT_EQ(errorLine("train --model mlp:2-4-2 --data csv:"), e + "--data csv: needs a file name (csv:PATH)");
  std::string path = dir.write("ragged.csv", "x0,x1,label\n0.5,1.5,0\n0.25,1\n1,2,1\n");
  EXPECT_EQ(errorLine(train + path), e + path + ":3: expected 3 columns, found 2");
  path = dir.write("nan.csv", "x0,x1,label\n0.5,1.5,0\n0.25,abc,1\n");
  EXPECT_EQ(errorLine(train + path), e + path + ":3:2: 'abc' is not a number");
  path = dir.write("label.csv", "0.5,1.5,0\n0.25,1,1.5\n");
  EXPECT_EQ(errorLine(train + path), e + path + ":2:3: label '1.5' is not a non-negative integer");
  path = dir.write("empty.csv", "");
  EXPECT_EQ(errorLine(train + path), e + path + ": empty file: no data rows");
  path = dir.write("header.csv", "x0,x1,label\n");
  EXPECT_EQ(errorLine(train + path), e + path + ": empty file: no data rows after the header");
  // A plain file without csv: is a hint, not a guess.
  EXPECT_EQ(errorLine("train --model mlp:2-4-2 --data " + path),
            e + "--data '" + path + "': expected xor, fashion-mnist, csv:PATH or a directory of IDX files (a plain "
                                    "file: did you mean csv:" + path + "?)");
}

TEST(ErrorMessages, IdxDataFiles) {
  ErrorsTempDir dir;
  const std::string e = "sigma train: error: ";
  const std::string train = "train --model mlp:784-10 --epochs 1 --batch 2 --progress off --data ";

  // A complete directory trains; each broken copy below names its file.
  writeIdxDir(dir, "ok", 4);
  CliResult ok = runSigma(train + dir.file("ok"));
  EXPECT_EQ(ok.status, 0) << ok.output;

  writeIdxDir(dir, "missing", 4);
  std::filesystem::remove(dir.file("missing/train-labels-idx1-ubyte"));
  EXPECT_EQ(errorLine(train + dir.file("missing")),
            e + "cannot open " + dir.file("missing/train-labels-idx1-ubyte.gz") + ": No such file or directory");

  writeIdxDir(dir, "magic", 4);
  dir.write("magic/train-images-idx3-ubyte", idxLabels(4));  // labels where images belong
  EXPECT_EQ(errorLine(train + dir.file("magic")),
            e + dir.file("magic/train-images-idx3-ubyte") +
                ": bad magic number 0x00000801, expected 0x00000803 (IDX images)");

  writeIdxDir(dir, "header", 4);
  dir.write("header/t10k-images-idx3-ubyte", idxImages(4).substr(0, 10));
  EXPECT_EQ(errorLine(train + dir.file("header")),
            e + dir.file("header/t10k-images-idx3-ubyte") + ": truncated: expected 16 bytes of header, found 10");

  writeIdxDir(dir, "data", 4);
  std::string images = idxImages(4);
  dir.write("data/train-images-idx3-ubyte", images.substr(0, images.size() - 100));
  EXPECT_EQ(errorLine(train + dir.file("data")),
            e + dir.file("data/train-images-idx3-ubyte") +
                ": truncated: expected 3136 bytes of pixel data after the header, found 3036");

  writeIdxDir(dir, "count", 4);
  dir.write("count/train-labels-idx1-ubyte", idxLabels(3));
  EXPECT_EQ(errorLine(train + dir.file("count")),
            e + dir.file("count/train-images-idx3-ubyte") + " has 4 images but " +
                dir.file("count/train-labels-idx1-ubyte") + " has 3 labels");

  writeIdxDir(dir, "size", 4);
  dir.write("size/train-images-idx3-ubyte", idxImages(4, 8, 8));
  EXPECT_EQ(errorLine(train + dir.file("size")),
            e + dir.file("size/train-images-idx3-ubyte") + ": images are 8×8, Fashion-MNIST images are 28×28");
}

// ---- checkpoints -----------------------------------------------------------------

TEST(ErrorMessages, CorruptCheckpointIsRefusedOnResume) {
  ErrorsTempDir dir;
  const std::string run = "train --data xor --model mlp:2-4-1 --act tanh --epochs 3 --progress off --out " +
                          dir.file("run");
  CliResult first = runSigma(run);
  ASSERT_EQ(first.status, 0) << first.output;
  const std::string checkpoint = dir.file("run/checkpoint.sgck");
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  // Flip one byte of the last tensor's values (the 4 bytes before the
  // checksum at the end): the checksum catches it.
  std::string bytes;
  {
    std::ifstream in(checkpoint, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 64u);
  bytes[bytes.size() - 6] ^= 0x20;
  dir.write("run/checkpoint.sgck", bytes);
  std::string line = errorLine(run + " --epochs 6 --resume");
  EXPECT_EQ(line.rfind("sigma train: error: " + checkpoint + ": checksum mismatch (stored 0x", 0), 0u) << line;
  EXPECT_TRUE(line.ends_with("): the file is corrupt")) << line;
  // Cut short.
  dir.write("run/checkpoint.sgck", bytes.substr(0, bytes.size() / 3));
  line = errorLine(run + " --epochs 6 --resume");
  EXPECT_EQ(line.rfind("sigma train: error: " + checkpoint + ": truncated at byte ", 0), 0u) << line;
  // Not a checkpoint at all.
  dir.write("run/checkpoint.sgck", "{\"step\": 3}\n");
  EXPECT_EQ(errorLine(run + " --epochs 6 --resume"),
            "sigma train: error: " + checkpoint + " is not a Sigma checkpoint (it does not start with \"SIGMACKP\")");
}

// ---- NaN and Inf in training ------------------------------------------------

TEST(ErrorMessages, NonFiniteTrainingStopsNamingTheStepAndTheTensor) {
  ErrorsTempDir dir;
  std::string rows;
  for (int i = 0; i < 8; ++i) rows += i % 2 ? "3e38,-3e38,1\n" : "-3e38,3e38,0\n";
  const std::string path = dir.write("huge.csv", rows);
  const std::string args = "train --model mlp:2-4-2 --epochs 2 --batch 4 --progress off --data csv:" + path;
  CliResult run = runSigma(args);
  EXPECT_EQ(run.status, 1) << run.output;
  std::string last = run.output.substr(run.output.rfind('\n', run.output.size() - 2) + 1);
  EXPECT_EQ(last.rfind("sigma train: error: fit: training stopped at step 1 (epoch 1, lr 0.01): the ", 0), 0u) << last;
  EXPECT_NE(last.find(" is not finite; no checkpoint is written without an output directory; lower the learning "
                      "rate?"),
            std::string::npos)
      << last;
  // With --allow-nonfinite the run goes on to the end.
  run = runSigma(args + " --allow-nonfinite");
  EXPECT_EQ(run.status, 0) << run.output;
}

