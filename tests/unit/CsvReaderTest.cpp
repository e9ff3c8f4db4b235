#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ir/Error.h"
#include "runtime/CsvReader.h"

using namespace sigma;

namespace {

// A fresh directory under /tmp, removed with everything in it.
class CsvTempDir {
 public:
  CsvTempDir() {
    char pattern[] = "/tmp/sigma-csv-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~CsvTempDir() { std::filesystem::remove_all(path_); }
  // Writes `text` to NAME in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = path_ + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot create " + path);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string errorOf(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(CsvReader, ReadsFeaturesAndLabels) {
  CsvTempDir dir;
  std::string path = dir.write("iris.csv", "1.5,2,-3e-1,0\n4, 5 ,6,2\n\n7,+8,9.25,1\n");
  Dataset d = loadCsv(path);
  d.validate();
  EXPECT_EQ(d.name, "iris");
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.sampleShape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.numClasses, 3);
  EXPECT_EQ(d.features, (std::vector<float>{1.5f, 2, -0.3f, 4, 5, 6, 7, 8, 9.25f}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 2, 1}));
}

TEST(CsvReader, SkipsAHeaderAndBlankLinesAndAcceptsCrLf) {
  CsvTempDir dir;
  std::string path = dir.write("h.csv", "\r\nx1,x2,label\r\n0.5,1,1\r\n  \r\n2,3,0\r\n");
  Dataset d = loadCsv(path);
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.features, (std::vector<float>{0.5f, 1, 2, 3}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(d.numClasses, 2);
  // No trailing newline, a label of 1.0 is an integer.
  d = loadCsv(dir.write("n.csv", "1,2,1.0"));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1}));
}

TEST(CsvReader, RaggedRowsNameTheLine) {
  CsvTempDir dir;
  std::string path = dir.write("r.csv", "a,b,c,d,label\n1,2,3,4,0\n\n1,2,3,4,1\n1,2,3,4,0\n1,2,3,4,1\n1,2,3,0\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":7: expected 5 columns, found 4");
  path = dir.write("r2.csv", "1,2,0\n1,2,3,0\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2: expected 3 columns, found 4");
}

TEST(CsvReader, NonNumericValuesNameLineAndColumn) {
  CsvTempDir dir;
  std::string path = dir.write("n.csv", "x,y,label\n1,2,0\n4,abc,1\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":3:2: 'abc' is not a number");
  path = dir.write("e.csv", "1,2,0\n,2,1\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2:1: '' is not a number");
  path = dir.write("nan.csv", "1,2,0\n1,nan,1\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2:2: 'nan' is not a number");
  path = dir.write("l.csv", "1,2,0\n1,2,one\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2:3: 'one' is not a number");
}

TEST(CsvReader, LabelsMustBeNonNegativeIntegers) {
  CsvTempDir dir;
  std::string path = dir.write("f.csv", "1,2,0\n1,2,1.5\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2:3: label '1.5' is not a non-negative integer");
  path = dir.write("neg.csv", "h1,h2,h3\n1,2,-1\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ":2:3: label '-1' is not a non-negative integer");
}

TEST(CsvReader, EmptyAndMissingFiles) {
  CsvTempDir dir;
  std::string path = dir.write("empty.csv", "");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ": empty file: no data rows");
  path = dir.write("blank.csv", "\n  \n\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ": empty file: no data rows");
  path = dir.write("header.csv", "x,label\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }), path + ": empty file: no data rows after the header");
  path = dir.write("one.csv", "\n1\n2\n");
  EXPECT_EQ(errorOf([&] { loadCsv(path); }),
            path + ":2: expected at least 2 columns (features, then the label), found 1");
  std::string missing = dir.path() + "/missing.csv";
  EXPECT_EQ(errorOf([&] { loadCsv(missing); }), "cannot open " + missing + ": No such file or directory");
}
