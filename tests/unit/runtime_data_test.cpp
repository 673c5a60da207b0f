// Unit tests of the run-time data path: CSV -> Dataset, split, standardizer,
// batcher and metrics. Small CSV files are written into a temporary directory.
#include "runtime/batcher.h"
#include "runtime/csv_table.h"
#include "runtime/data_error.h"
#include "runtime/dataset.h"
#include "runtime/metrics.h"
#include "runtime/standardizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace nnc::runtime;

namespace {

class RuntimeData : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("nnc_runtime_data_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  /// Writes `content` byte for byte to dir/name and returns the path.
  std::string write(const std::string &name, const std::string &content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  fs::path dir_;
};

/// The DataError message thrown by f(), or "" if none was thrown.
template <class F> std::string dataErrorOf(F f) {
  try {
    f();
  } catch (const DataError &e) {
    return e.what();
  }
  return "";
}

DatasetSpec classificationSpec() {
  DatasetSpec s;
  s.classification = true;
  return s;
}

/// A regression data set with rows x 2 features: (i, 10 * i), target i.
Dataset makeDataset(int64_t rows) {
  std::vector<float> features, targets;
  for (int64_t i = 0; i < rows; ++i) {
    features.push_back(float(i));
    features.push_back(float(10 * i));
    targets.push_back(float(i));
  }
  Dataset d = Dataset::fromVectors(features, 2, targets);
  d.featureNames = {"a", "b"};
  return d;
}

std::vector<int64_t> epochOrder(Batcher &b) {
  std::vector<int64_t> order;
  b.startEpoch();
  while (b.next())
    order.insert(order.end(), b.rowIndices(), b.rowIndices() + b.size());
  return order;
}

// ---------------------------------------------------------------- CSV table

TEST_F(RuntimeData, CsvWithHeader) {
  CsvTable t = readCsv(write("h.csv", "a,b,species\n1,2,x\n3.5,-4e2,y\n"));
  EXPECT_TRUE(t.hasHeader);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b", "species"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"3.5", "-4e2", "y"}));
  EXPECT_EQ(t.lineOfRow, (std::vector<int64_t>{2, 3}));
}

TEST_F(RuntimeData, CsvWithoutHeader) {
  CsvTable t = readCsv(write("n.csv", "1,2,3\n4,5,6\n"));
  EXPECT_FALSE(t.hasHeader);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"col1", "col2", "col3"}));
  EXPECT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.lineOfRow, (std::vector<int64_t>{1, 2}));
}

TEST_F(RuntimeData, CsvWithoutHeaderButTextLabels) {
  // UCI's iris.data: no header, a string class in the last column.
  CsvTable t = readCsv(write("u.csv", "5.1,3.5,setosa\n4.9,3.0,versicolor\n"));
  EXPECT_FALSE(t.hasHeader);
  EXPECT_EQ(t.rows.size(), 2u);
}

TEST_F(RuntimeData, CsvQuotesCrlfBlankLinesAndNoFinalNewline) {
  std::string text = "\"a b\",\"c\"\"d\",y\r\n"
                     "\r\n"
                     "\"1\",  2 ,\"two\nlines\"\r\n"
                     "  \n"
                     "5,6,q"; // no final newline
  CsvTable t = readCsv(write("q.csv", text));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a b", "c\"d", "y"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2", "two\nlines"}));
  EXPECT_EQ(t.lineOfRow, (std::vector<int64_t>{3, 6}));
}

TEST_F(RuntimeData, CsvByteOrderMarkAndEmptyHeaderCell) {
  CsvTable t = readCsv(write("b.csv", "\xEF\xBB\xBF"
                                      "a,,y\n1,2,3\n"));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "col2", "y"}));
}

TEST_F(RuntimeData, CsvRaggedRow) {
  std::string p = write("r.csv", "a,b,c,d,e\n1,2,3,4,5\n\n1,2,3,4,5\n"
                                 "1,2,3,4,5\n1,2,3,4,5\n1,2,3,4\n");
  EXPECT_EQ(dataErrorOf([&] { readCsv(p); }), p + ":7:1: error: row has 4 fields, expected 5");
}

TEST_F(RuntimeData, CsvBadQuoting) {
  std::string p = write("q.csv", "a,b,y\n1,2\"3,x\n");
  EXPECT_EQ(dataErrorOf([&] { readCsv(p); }).rfind(p + ":2:2: error: ", 0), 0u);
  p = write("q2.csv", "a,b,y\n1,\"2\"3,x\n");
  EXPECT_EQ(dataErrorOf([&] { readCsv(p); }).rfind(p + ":2:2: error: ", 0), 0u);
  p = write("q3.csv", "a,b,y\n1,2,x\n3,\"4,z\n");
  EXPECT_EQ(dataErrorOf([&] { readCsv(p); }),
            p + ":3:2: error: quoted field is never closed (missing '\"')");
}

TEST_F(RuntimeData, CsvFileErrors) {
  std::string missing = (dir_ / "missing.csv").string();
  EXPECT_EQ(dataErrorOf([&] { readCsv(missing); }),
            missing + ": error: cannot open: No such file or directory");
  EXPECT_EQ(dataErrorOf([&] { readCsv(dir_.string()); }),
            dir_.string() + ": error: cannot read: Is a directory");
  std::string empty = write("e.csv", "");
  EXPECT_EQ(dataErrorOf([&] { readCsv(empty); }), empty + ": error: the file is empty");
  std::string blank = write("b.csv", "\n \r\n\n");
  EXPECT_EQ(dataErrorOf([&] { readCsv(blank); }), blank + ": error: the file is empty");
  std::string header = write("h.csv", "a,b,c");
  EXPECT_EQ(dataErrorOf([&] { readCsv(header); }),
            header + ": error: the file has a header but no data rows");
}

TEST_F(RuntimeData, ParseNumber) {
  EXPECT_EQ(parseNumber("1.5"), 1.5);
  EXPECT_EQ(parseNumber(" +2e3 "), 2000.0);
  EXPECT_EQ(parseNumber("-.5"), -0.5);
  EXPECT_FALSE(parseNumber(""));
  EXPECT_FALSE(parseNumber("1,5"));
  EXPECT_FALSE(parseNumber("0x10"));
  EXPECT_FALSE(parseNumber("+-1"));
  EXPECT_FALSE(parseNumber("1e"));
  EXPECT_TRUE(std::isinf(*parseNumber("1e999")));
  EXPECT_EQ(displayCell(std::string("a\x01\xff", 3)), "a\\x01\\xFF");
}

// ------------------------------------------------------------------ dataset

TEST_F(RuntimeData, LoadRegression) {
  Dataset d = loadDataset(write("r.csv", "x1,x2,y\n1,2,3\n4,5,6\n"), {});
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.numFeatures, 2);
  EXPECT_EQ(d.featureNames, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(d.featureMatrix(), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(d.targetVector(), (std::vector<float>{3, 6}));
  EXPECT_FALSE(d.hasLabels());
}

TEST_F(RuntimeData, NamedColumns) {
  DatasetSpec s = classificationSpec();
  s.labelColumn = "label";
  s.featureColumns = {"c", "a"};
  Dataset d = loadDataset(write("n.csv", "label,a,b,c\n1,10,20,30\n0,11,21,31\n"), s);
  EXPECT_EQ(d.featureNames, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(d.featureMatrix(), (std::vector<float>{30, 10, 31, 11}));
  EXPECT_EQ(d.labelVector(), (std::vector<int32_t>{1, 0}));
}

TEST_F(RuntimeData, ClassIdsStringLabelsSorted) {
  std::string p = write("s.csv", "a,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n");
  Dataset d = loadDataset(p, classificationSpec());
  EXPECT_EQ(d.classNames, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(d.labelVector(), (std::vector<int32_t>{2, 0, 1, 0}));
  EXPECT_FALSE(d.hasRegressionTargets());
}

TEST_F(RuntimeData, ClassIdsIntegerLabelsNumericOrder) {
  std::string p = write("i.csv", "a,label\n1,10\n2,9\n3,-1\n4,2\n5,9\n");
  Dataset d = loadDataset(p, classificationSpec());
  EXPECT_EQ(d.classNames, (std::vector<std::string>{"-1", "2", "9", "10"}));
  EXPECT_EQ(d.labelVector(), (std::vector<int32_t>{3, 2, 0, 1, 2}));
}

TEST_F(RuntimeData, FixedClassNames) {
  DatasetSpec s = classificationSpec();
  s.classNames = {"b", "a"};
  std::string p = write("f.csv", "x,y\n1,a\n2,b\n");
  EXPECT_EQ(loadDataset(p, s).labelVector(), (std::vector<int32_t>{1, 0}));
  std::string q = write("g.csv", "x,y\n1,a\n2,c\n");
  EXPECT_EQ(dataErrorOf([&] { loadDataset(q, s); }),
            q + ":3:2: error: label 'c' in column 'y' is not one of the 2 known "
                "classes ('b', 'a')");
}

TEST_F(RuntimeData, FeatureCountMismatch) {
  std::string p = write("data.csv", "a,b,c,d,e,f,g,h,species\n1,2,3,4,5,6,7,8,x\n");
  DatasetSpec s = classificationSpec();
  s.expectedFeatures = 4;
  s.inputName = "x";
  EXPECT_EQ(dataErrorOf([&] { loadDataset(p, s); }),
            p + ":1:1: error: the model's input x has 4 features but " + p +
                " provides 8 feature columns (all columns but the last, "
                "'species')");
  s.expectedFeatures = 8;
  EXPECT_EQ(loadDataset(p, s).numFeatures, 8);
}

TEST_F(RuntimeData, NonNumericCell) {
  std::string p = write("f.csv", "a,petal_width,y\n1,2,3\n4,abc,6\n");
  EXPECT_EQ(dataErrorOf([&] { loadDataset(p, {}); }),
            p + ":3:2: error: 'abc' in column 'petal_width' is not a number");
  std::string t = write("t.csv", "a,y\n1,2\n4,six\n");
  EXPECT_EQ(dataErrorOf([&] {
              loadDataset(t, {});
            }).rfind(t + ":3:2: error: 'six' in column 'y' is not a number", 0),
            0u);
}

TEST_F(RuntimeData, NonFiniteAndMissingValues) {
  std::string p = write("n.csv", "a,b,y\n1,nan,3\n");
  EXPECT_EQ(dataErrorOf([&] { loadDataset(p, {}); }),
            p + ":2:2: error: 'nan' in column 'b' is not a finite number");
  std::string q = write("i.csv", "a,b,y\n1,2,3\n-inf,2,3\n");
  EXPECT_EQ(dataErrorOf([&] { loadDataset(q, {}); }),
            q + ":3:1: error: '-inf' in column 'a' is not a finite number");
  std::string r = write("na.csv", "a,b,y\n1,NA,3\n");
  EXPECT_NE(dataErrorOf([&] { loadDataset(r, {}); }).find("missing value"), std::string::npos);
  std::string e = write("e.csv", "a,b,y\n1,,3\n");
  EXPECT_EQ(dataErrorOf([&] {
              loadDataset(e, {});
            }).rfind(e + ":2:2: error: '' in column 'b' is not a number", 0),
            0u);
}

TEST_F(RuntimeData, MissingColumnDidYouMean) {
  std::string p = write("c.csv", "petal_width,species\n1,x\n");
  DatasetSpec s = classificationSpec();
  s.labelColumn = "specis";
  EXPECT_EQ(dataErrorOf([&] { loadDataset(p, s); }),
            p + ": error: no column named 'specis' (did you mean 'species'?); "
                "the columns are 'petal_width', 'species'");
  s.labelColumn = "species";
  s.featureColumns = {"zzz"};
  EXPECT_EQ(dataErrorOf([&] { loadDataset(p, s); }),
            p + ": error: no column named 'zzz'; the columns are "
                "'petal_width', 'species'");
}

TEST_F(RuntimeData, LabelFirstNeedsAName) {
  std::string p = write("m.csv", "label,pixel0,pixel1\n3,0,255\n");
  EXPECT_NE(dataErrorOf([&] {
              loadDataset(p, classificationSpec());
            }).find("name the label column explicitly"),
            std::string::npos);
  DatasetSpec s = classificationSpec();
  s.labelColumn = "label";
  EXPECT_EQ(loadDataset(p, s).featureMatrix(), (std::vector<float>{0, 255}));
}

TEST_F(RuntimeData, SplitHoldout) {
  Dataset d = makeDataset(10);
  auto [train, held] = splitHoldout(d, 0.2, 7);
  EXPECT_EQ(train.rows, 8);
  EXPECT_EQ(held.rows, 2);
  EXPECT_EQ(train.featureMatrix().size(), 16u);
  std::vector<float> trainTargets = train.targetVector(), heldTargets = held.targetVector();
  std::vector<float> heldFeatures = held.featureMatrix();
  std::multiset<float> all(trainTargets.begin(), trainTargets.end());
  all.insert(heldTargets.begin(), heldTargets.end());
  EXPECT_EQ(all, (std::multiset<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (int64_t i = 0; i < held.rows; ++i) // rows stay intact
    EXPECT_EQ(heldFeatures[2 * i + 1], 10 * heldTargets[i]);
  auto again = splitHoldout(d, 0.2, 7);
  EXPECT_EQ(again.second.targetVector(), heldTargets);
  EXPECT_NE(splitHoldout(d, 0.5, 8).first.targetVector(),
            splitHoldout(d, 0.5, 9).first.targetVector());
  auto [part, rest] = splitHoldout(train, 0.25, 3); // a split of a split
  std::vector<float> partTargets = part.targetVector(), partFeatures = part.featureMatrix();
  for (int64_t i = 0; i < part.rows; ++i)
    EXPECT_EQ(partFeatures[2 * i + 1], 10 * partTargets[i]);
  EXPECT_EQ(part.rows + rest.rows, train.rows);
  EXPECT_EQ(splitHoldout(d, 0.01, 1).second.rows, 1);
  EXPECT_EQ(splitHoldout(d, 0, 1).second.rows, 0);
  EXPECT_NE(dataErrorOf([&] { splitHoldout(d, 1.0, 1); }), "");
  EXPECT_NE(dataErrorOf([&] { splitHoldout(makeDataset(1), 0.5, 1); }), "");
}

// ------------------------------------------------------------- standardizer

TEST_F(RuntimeData, StandardizerMeanZeroStdOne) {
  std::vector<float> x; // column a constant, b = 10 * i
  for (int64_t i = 0; i < 5; ++i)
    x.insert(x.end(), {3.0f, float(10 * i)});
  Dataset d = Dataset::fromVectors(x, 2, {0, 1, 2, 3, 4});
  Standardizer s = Standardizer::fit(d);
  EXPECT_FLOAT_EQ(s.mean[1], 20.0f);
  EXPECT_FLOAT_EQ(s.stddev[1], std::sqrt(200.0f)); // population std
  EXPECT_FLOAT_EQ(s.stddev[0], 1.0f);              // constant column
  s.apply(d);
  EXPECT_EQ(Standardizer::fit(d).mean, s.mean); // fit reads the data as it is in the file
  std::vector<float> z = d.featureMatrix();
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < d.rows; ++i) {
    EXPECT_FLOAT_EQ(z[2 * i], 0.0f);
    sum += z[2 * i + 1];
    sq += z[2 * i + 1] * z[2 * i + 1];
  }
  EXPECT_NEAR(sum / 5, 0.0, 1e-6);
  EXPECT_NEAR(sq / 5, 1.0, 1e-6);

  Dataset other = makeDataset(1); // uses the training statistics
  s.apply(other);
  EXPECT_FLOAT_EQ(other.featureMatrix()[1], -20.0f / std::sqrt(200.0f));
  Dataset wrong = Dataset::fromVectors({1, 2}, 1, {1, 2});
  EXPECT_NE(dataErrorOf([&] { s.apply(wrong); }), "");
}

TEST_F(RuntimeData, StandardizerTargetsRoundTrip) {
  Dataset d = makeDataset(4); // targets 0..3
  Standardizer t = Standardizer::fitTargets(d);
  t.applyToTargets(d);
  std::vector<float> z = d.targetVector();
  EXPECT_NEAR(z[0] + z[3], 0.0, 1e-6);
  t.restoreTargets(z.data(), d.rows);
  EXPECT_NEAR(z[3], 3.0, 1e-6);
}

// ------------------------------------------------------------------ batcher

TEST_F(RuntimeData, BatcherCoversEveryRowOncePerEpoch) {
  Dataset d = makeDataset(10);
  Batcher b(d, 4, true, 42);
  EXPECT_EQ(b.batchesPerEpoch(), 3);
  for (int epoch = 0; epoch < 3; ++epoch) {
    b.startEpoch();
    std::vector<int64_t> sizes, seen;
    while (b.next()) {
      sizes.push_back(b.size());
      for (int64_t k = 0; k < b.size(); ++k) {
        int64_t r = b.rowIndices()[k];
        seen.push_back(r);
        EXPECT_EQ(b.features()[2 * k], float(r)); // copied from row r
        EXPECT_EQ(b.features()[2 * k + 1], float(10 * r));
        EXPECT_EQ(b.targets()[k], float(r));
      }
    }
    EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_FALSE(b.next());
  }
}

TEST_F(RuntimeData, BatcherSeededOrder) {
  Dataset d = makeDataset(50);
  Batcher a(d, 8, true, 1), b(d, 8, true, 1), c(d, 8, true, 2);
  std::vector<int64_t> a1 = epochOrder(a), a2 = epochOrder(a);
  EXPECT_EQ(a1, epochOrder(b)); // same seed, same order
  EXPECT_EQ(a2, epochOrder(b));
  EXPECT_NE(a1, a2); // epochs differ
  EXPECT_NE(a1, epochOrder(c));

  Batcher plain(d, 8, false, 1); // no shuffle: file order
  std::vector<int64_t> inOrder(50);
  for (int64_t i = 0; i < 50; ++i)
    inOrder[i] = i;
  EXPECT_EQ(epochOrder(plain), inOrder);
}

TEST_F(RuntimeData, BatcherLabelsAndEdgeCases) {
  Dataset d = Dataset::fromVectors({0, 1, 2}, 1, {}, {5, 6, 7});
  Batcher b(d, 100, false, 0);
  ASSERT_TRUE(b.next()); // the first epoch starts on its own
  EXPECT_EQ(b.size(), 3);
  EXPECT_EQ(b.targets(), nullptr);
  EXPECT_EQ(std::vector<int32_t>(b.labels(), b.labels() + 3), (std::vector<int32_t>{5, 6, 7}));
  EXPECT_FALSE(b.next());
  EXPECT_NE(dataErrorOf([&] { Batcher(d, 0, true, 0); }), "");
  Dataset empty;
  Batcher e(empty, 4, true, 0);
  e.startEpoch();
  EXPECT_FALSE(e.next());
}

// ------------------------------------------------------------------ metrics

TEST_F(RuntimeData, Metrics) {
  const float scores[] = {0.1f, 0.7f, 0.2f,  // argmax 1
                          0.5f, 0.5f, 0.0f,  // tie -> 0
                          0.0f, 0.1f, 0.9f,  // 2
                          0.3f, 0.3f, 0.4f}; // 2
  const int32_t labels[] = {1, 1, 2, 0};
  EXPECT_DOUBLE_EQ(accuracy(scores, 4, 3, labels), 0.5);
  const float probs[] = {0.9f, 0.5f, 0.2f, 0.51f};
  const int32_t binary[] = {1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(accuracy(probs, 4, 1, binary), 0.5);

  const float pred[] = {1, 2, 3, 4}, target[] = {2, 2, 5, 0};
  EXPECT_DOUBLE_EQ(meanAbsoluteError(pred, target, 4), (1 + 0 + 2 + 4) / 4.0);
  EXPECT_DOUBLE_EQ(meanSquaredError(pred, target, 4), (1 + 0 + 4 + 16) / 4.0);
  // mean target 2.25; SST = 0.0625 + 0.0625 + 7.5625 + 5.0625 = 12.75
  EXPECT_DOUBLE_EQ(r2Score(pred, target, 4), 1 - 21 / 12.75);
  EXPECT_TRUE(std::isnan(meanSquaredError(pred, target, 0)));
  EXPECT_TRUE(std::isnan(accuracy(scores, 0, 3, labels)));
}

// -------------------------------------------------------------- robustness

TEST_F(RuntimeData, RandomBytesNeverCrash) {
  const char alphabet[] = {',', ',', '"', '\n', '\r', '1',    '2', '.',
                           'a', ' ', 'e', '-',  '\0', '\xff', ';', '\t'};
  std::mt19937_64 rng(123);
  for (int i = 0; i < 300; ++i) {
    std::string text(rng() % 64, ' ');
    for (char &c : text)
      c = alphabet[rng() % sizeof alphabet];
    std::string p = write("fuzz.csv", text);
    DatasetSpec s;
    s.classification = i % 2;
    try {
      Dataset d = loadDataset(p, s);
      EXPECT_EQ(d.featureMatrix().size(), size_t(d.rows * d.numFeatures));
    } catch (const DataError &e) {
      EXPECT_EQ(std::string(e.what()).rfind(p, 0), 0u) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

// ---------------------------------------------------------------- real data

TEST_F(RuntimeData, IrisTrainSplit) {
  const std::string path = "/work/shared/data/split/iris.train.csv";
  if (!fs::exists(path))
    GTEST_SKIP() << path << " not found";
  DatasetSpec s = classificationSpec();
  s.expectedFeatures = 4;
  Dataset d = loadDataset(path, s);
  EXPECT_EQ(d.rows, 120);
  EXPECT_EQ(d.numFeatures, 4);
  EXPECT_EQ(d.featureNames, (std::vector<std::string>{"sepal_length", "sepal_width", "petal_length",
                                                      "petal_width"}));
  EXPECT_EQ(d.classNames, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  std::vector<int32_t> labels = d.labelVector();
  ASSERT_EQ(labels.size(), 120u);
  EXPECT_EQ(labels[0], 0); // 4.4,2.9,1.4,0.2,setosa
  EXPECT_EQ(labels[1], 2); // 4.9,2.5,4.5,1.7,virginica
  EXPECT_FLOAT_EQ(d.featureMatrix()[0], 4.4f);
  Standardizer st = Standardizer::fit(d);
  st.apply(d);
  std::vector<float> z = d.featureMatrix();
  double sum = 0;
  for (int64_t i = 0; i < d.rows; ++i)
    sum += z[i * 4 + 2];
  EXPECT_NEAR(sum / static_cast<double>(d.rows), 0.0, 1e-5);
}

} // namespace
