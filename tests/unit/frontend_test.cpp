// Front end: the examples of the language design compile to the expected
// forward graph and configuration; user mistakes give located, readable
// errors; no input crashes the front end.
#include "frontend/model.h"
#include "support/spelling.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace nnc::frontend {
namespace {

const char *kSeed = R"(// seed.nn — regression, 3 features -> 1 value
model seed {
    input  x: f32[3]
    target y: f32[1]

    pred = x -> dense(10, relu) -> dense(1)
    loss mse(pred, y)

    train {
        optimizer  = adam(lr: 0.001)
        epochs     = 100
        batch_size = 32
        metrics    = [mae]
    }
}
)";

const char *kIris = R"(model iris {
    data {
        features   = [sepal_length, sepal_width, petal_length, petal_width]
        label      = species          // strings -> class ids, sorted, saved with the weights
        normalize  = standard         // statistics from the training split only
        validation = 0.2              // held-out fraction, after a seeded shuffle
    }
    input x: f32[4]
    label y: class[3]

    logits = x -> dense(16, relu) -> dense(3)
    output probs = softmax(logits)
    loss cross_entropy(logits, y)     // fused log-softmax: stable for large logits

    train {
        optimizer  = adam(lr: 0.01)
        epochs     = 200
        batch_size = 16
        metrics    = [accuracy]
        seed       = 42
    }
}
)";

const char *kIrisExplicit = R"(model iris_explicit {
    input x: f32[4]
    label y: class[3]

    param W1: f32[4, 16] = glorot_uniform()
    param b1: f32[16]    = zeros()
    param W2: f32[16, 3] = glorot_uniform()
    param b2: f32[3]     = zeros()

    h      = relu(x @ W1 + b1)
    logits = h @ W2 + b2
    output probs = softmax(logits)
    loss cross_entropy(logits, y)
}
)";

std::unique_ptr<Model> compileOk(const std::string &text) {
  DiagnosticEngine diags;
  auto model = compileModelSource("test.nn", text, diags);
  std::ostringstream os;
  diags.print(os);
  EXPECT_TRUE(model) << os.str();
  EXPECT_FALSE(diags.hasErrors()) << os.str();
  return model;
}

/// "line:col: message" of every error.
std::vector<std::string> errorsOf(const std::string &text) {
  DiagnosticEngine diags;
  auto model = compileModelSource("test.nn", text, diags);
  EXPECT_FALSE(model);
  std::vector<std::string> out;
  for (const Diagnostic &d : diags.errors())
    out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " + d.message);
  return out;
}

std::string firstError(const std::string &text) {
  auto errors = errorsOf(text);
  return errors.empty() ? "<no error>" : errors[0];
}

/// A small valid regression model with `body` inserted before its loss.
std::string regression(const std::string &body) {
  return "model m {\n"
         "  input x: f32[4]\n"
         "  target y: f32[1]\n" +
         body +
         "  pred = x -> dense(1)\n"
         "  loss mse(pred, y)\n"
         "}\n";
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Frontend, SeedExampleLowersToDenseLayersAndMse) {
  auto model = compileOk(kSeed);
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "graph @seed {")) << ir;
  EXPECT_TRUE(contains(ir, "%x = input \"x\" : f32[B,3]")) << ir;
  EXPECT_TRUE(contains(ir, "%y = input \"y\" : f32[B,1]")) << ir;
  EXPECT_TRUE(contains(ir, "%dense1.W = param \"dense1.W\" glorot_uniform() : f32[3,10]")) << ir;
  EXPECT_TRUE(contains(ir, "%dense1.b = param \"dense1.b\" zeros() : f32[10]")) << ir;
  EXPECT_TRUE(contains(ir, "matmul %x, %dense1.W : f32[B,10]")) << ir;
  EXPECT_TRUE(contains(ir, "relu")) << ir;
  EXPECT_TRUE(contains(ir, "%dense2.W = param \"dense2.W\" glorot_uniform() : f32[10,1]")) << ir;
  EXPECT_TRUE(contains(ir, "sub")) << ir;
  EXPECT_TRUE(contains(ir, "reduce_sum")) << ir;
  EXPECT_TRUE(contains(ir, "batch_size")) << ir;
  EXPECT_TRUE(contains(ir, "output \"loss\"")) << ir;
  EXPECT_TRUE(contains(ir, "output \"prediction\"")) << ir;

  EXPECT_EQ(model->name, "seed");
  EXPECT_EQ(model->featureInput, "x");
  EXPECT_EQ(model->targetInput, "y");
  EXPECT_FALSE(model->classification);
  ASSERT_TRUE(model->forward->loss());
  EXPECT_TRUE(model->forward->loss()->shape().isScalar());
  EXPECT_EQ(model->train.optimizer.kind, "adam");
  EXPECT_DOUBLE_EQ(model->train.optimizer.lr, 0.001);
  EXPECT_EQ(model->train.epochs, 100);
  EXPECT_EQ(model->train.batchSize, 32);
  EXPECT_EQ(model->train.metrics, std::vector<std::string>{"mae"});
  EXPECT_TRUE(model->data.features.empty());
  EXPECT_TRUE(model->data.standardize);
}

TEST(Frontend, IrisExampleIsAClassifierWithDataAndTrainConfig) {
  auto model = compileOk(kIris);
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "%y = input \"y\" classes=3 : i32[B]")) << ir;
  EXPECT_TRUE(contains(ir, "%dense2.W = param \"dense2.W\" glorot_uniform() : f32[16,3]")) << ir;
  EXPECT_TRUE(contains(ir, "softmax %10 : f32[B,3]")) << ir;
  EXPECT_TRUE(contains(ir, "output \"probs\" %11")) << ir;
  EXPECT_TRUE(contains(ir, "softmax_cross_entropy %10, %y : f32[B]")) << ir;
  EXPECT_TRUE(contains(ir, "output \"prediction\" %10")) << ir;

  EXPECT_TRUE(model->classification);
  EXPECT_EQ(model->numClasses, 3);
  EXPECT_EQ(model->data.features,
            (std::vector<std::string>{"sepal_length", "sepal_width", "petal_length", "petal_width"}));
  EXPECT_EQ(model->data.label, "species");
  EXPECT_TRUE(model->data.standardize);
  EXPECT_DOUBLE_EQ(model->train.validation, 0.2);
  EXPECT_DOUBLE_EQ(model->train.optimizer.lr, 0.01);
  EXPECT_EQ(model->train.epochs, 200);
  EXPECT_EQ(model->train.batchSize, 16);
  EXPECT_EQ(model->train.seed, 42u);
  EXPECT_EQ(model->train.metrics, std::vector<std::string>{"accuracy"});
}

TEST(Frontend, ExplicitIrisLowersOperatorsInOrder) {
  auto model = compileOk(kIrisExplicit);
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "%W1 = param \"W1\" glorot_uniform() : f32[4,16]")) << ir;
  EXPECT_TRUE(contains(ir, "%b1 = param \"b1\" zeros() : f32[16]")) << ir;
  EXPECT_TRUE(contains(ir, "%6 = matmul %x, %W1 : f32[B,16]")) << ir;
  EXPECT_TRUE(contains(ir, "%7 = add %6, %b1 : f32[B,16]")) << ir;
  EXPECT_TRUE(contains(ir, "%8 = relu %7 : f32[B,16]")) << ir;
  EXPECT_TRUE(contains(ir, "%9 = matmul %8, %W2 : f32[B,3]")) << ir;
  EXPECT_TRUE(contains(ir, "%10 = add %9, %b2 : f32[B,3]")) << ir;
  EXPECT_TRUE(contains(ir, "softmax_cross_entropy %10, %y : f32[B]")) << ir;
  // Defaults when there is no train block.
  EXPECT_EQ(model->train.epochs, 10);
  EXPECT_EQ(model->train.optimizer.kind, "adam");
}

TEST(Frontend, NodesCarryTheirSourceLocation) {
  auto model = compileOk(kIrisExplicit);
  ASSERT_TRUE(model);
  const ir::Node *matmul = model->forward->nodesOfKind(ir::OpKind::MatMul).at(0);
  EXPECT_EQ(matmul->loc.file, "test.nn");
  EXPECT_EQ(matmul->loc.line, 10);
  EXPECT_EQ(matmul->loc.col, 21); // the '@'
}

TEST(Frontend, PipeIsACallWithThePipedValueFirst) {
  auto piped = compileOk(regression("  h = x -> dense(8, relu) -> softmax()\n"));
  auto called = compileOk(regression("  h = softmax(dense(x, units: 8, activation: relu))\n"));
  ASSERT_TRUE(piped && called);
  EXPECT_EQ(ir::printGraph(*piped->forward), ir::printGraph(*called->forward));
}

TEST(Frontend, OperatorPrecedenceAndLiterals) {
  // `-` binds tightest, `* / @` before `+ -`, `->` loosest.
  auto model = compileOk(regression("  param W: f32[4, 4] = uniform(-0.1, 0.1)\n"
                                    "  h = 2 * x + -x @ W / 1e1 - .5\n"
                                    "  output o = h -> relu()\n"));
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "%W = param \"W\" uniform(-0.1, 0.1) : f32[4,4]")) << ir;
  EXPECT_TRUE(contains(ir, "%3 = constant 2 : f32[]\n"
                           "  %4 = mul %3, %x : f32[B,4]\n"
                           "  %5 = neg %x : f32[B,4]\n"
                           "  %6 = matmul %5, %W : f32[B,4]\n"
                           "  %7 = constant 10 : f32[]\n"
                           "  %8 = div %6, %7 : f32[B,4]\n"
                           "  %9 = add %4, %8 : f32[B,4]\n"
                           "  %10 = constant 0.5 : f32[]\n"
                           "  %11 = sub %9, %10 : f32[B,4]\n"
                           "  %12 = relu %11 : f32[B,4]\n"
                           "  output \"o\" %12\n"))
      << ir;
}

TEST(Frontend, TrainBlockWithSgdAndSeparators) {
  auto model = compileOk(regression(
      "  train { optimizer = sgd(lr: 0.1, momentum: 0.9, nesterov: true); epochs = 5,\n"
      "          batch_size = 8; seed = 7; shuffle = false; validation = 0.25; metrics = [mae, mse] }\n"
      "  data { normalize = none; label = \"strength (MPa)\" }\n"));
  ASSERT_TRUE(model);
  const TrainConfig &t = model->train;
  EXPECT_EQ(t.optimizer.kind, "sgd");
  EXPECT_DOUBLE_EQ(t.optimizer.lr, 0.1);
  EXPECT_DOUBLE_EQ(t.optimizer.momentum, 0.9);
  EXPECT_TRUE(t.optimizer.nesterov);
  EXPECT_EQ(t.epochs, 5);
  EXPECT_EQ(t.batchSize, 8);
  EXPECT_EQ(t.seed, 7u);
  EXPECT_FALSE(t.shuffle);
  EXPECT_DOUBLE_EQ(t.validation, 0.25);
  EXPECT_EQ(t.metrics, (std::vector<std::string>{"mae", "mse"}));
  EXPECT_FALSE(model->data.standardize);
  EXPECT_EQ(model->data.label, "strength (MPa)");
}

TEST(Frontend, CommentsOfAllThreeKinds) {
  compileOk("# a hash comment at the start of a line\n"
            "model m { // line comment\n"
            "  /* block\n     comment */ input x: f32[4]\n"
            "    # indented hash comment\n"
            "  target y: f32[1]\n"
            "  loss mae(x -> dense(1), y)\n"
            "}\n");
}

TEST(FrontendErrors, SyntaxErrorSaysWhatWasExpected) {
  EXPECT_EQ(firstError("model m {\n  input x f32[4]\n}\n"), "2:11: expected ':' but found 'f32'");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  h = x +\n}\n"),
            "4:1: expected an expression but found '}'");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n"), "2:18: expected '}' but found end of file");
  EXPECT_EQ(firstError("model m {\n  input data: f32[4]\n}\n"),
            "2:9: expected a name but found keyword 'data'");
  EXPECT_EQ(firstError("model m {\n  h = x $ 1\n}\n"), "2:9: unexpected character '$'");
  EXPECT_EQ(firstError("model m {\n  /* never closed\n}\n"),
            "2:3: unterminated comment: '/*' has no matching '*/'");
}

TEST(FrontendErrors, SyntaxErrorsOnSeveralLinesAreAllReported) {
  auto errors = errorsOf("model m {\n  input x f32[4]\n  target y: f32[1.5]\n  h = (x\n}\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "2:11: expected ':' but found 'f32'");
  EXPECT_EQ(errors[1], "3:17: expected a dimension or ']' but found '1.5'");
  EXPECT_EQ(errors[2], "5:1: expected ')' but found '}'");
}

TEST(FrontendErrors, UndefinedNameSuggestsTheClosestName) {
  EXPECT_EQ(firstError(regression("  hidden = relu(x)\n  out = hiden * 2\n")),
            "5:9: undefined name 'hiden'; did you mean 'hidden'?");
  EXPECT_EQ(firstError(regression("  out = zzz * 2\n")), "4:9: undefined name 'zzz'");
  EXPECT_EQ(firstError(regression("  a = b\n  b = x\n")), "4:7: 'b' is used before its definition at 5:3");
  EXPECT_EQ(firstError(regression("  h = x -> relux()\n")),
            "4:12: unknown function 'relux'; did you mean 'relu'?");
}

TEST(FrontendErrors, MatmulShapeMismatchNamesBothShapesAtTheOperator) {
  EXPECT_EQ(firstError(regression("  param W: f32[5, 16] = zeros()\n  h = x @ W\n")),
            "5:9: cannot multiply f32[B,4] by f32[5,16]: inner dimensions 4 and 5 differ");
}

TEST(FrontendErrors, BroadcastMismatch) {
  EXPECT_EQ(firstError(regression("  param b: f32[3] = zeros()\n  h = x + b\n")),
            "5:9: cannot add f32[B,4] and f32[3]: dimensions 4 and 3 do not broadcast");
}

TEST(FrontendErrors, LossChecks) {
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  target y: f32[1]\n}\n"),
            "1:7: model 'm' has no loss; add one, as in 'loss mse(pred, y)'");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  label y: class[3]\n"
                       "  loss mse(x -> dense(3), y)\n}\n"),
            "4:27: mse needs a real-valued target; 'y' is a label of class ids; use cross_entropy");
  EXPECT_EQ(firstError(regression("  loss mse(x, y)\n")),
            "4:8: mse needs a prediction and a target of the same shape, got f32[B,4] and f32[B,1]");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  label y: class[3]\n"
                       "  loss cross_entropy(x -> dense(4), y)\n}\n"),
            "4:22: cross_entropy logits f32[B,4] score 4 classes but label 'y' has 3");
  auto twice = errorsOf(regression("  loss mse(x -> dense(1), y)\n"));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0], "6:3: a model has one loss; the first is at 4:3");
}

TEST(FrontendErrors, TrainAndDataBlockChecks) {
  EXPECT_EQ(firstError(regression("  train { epoch = 3 }\n")),
            "4:11: unknown train setting 'epoch'; did you mean 'epochs'?");
  EXPECT_EQ(firstError(regression("  train { epochs = 0 }\n")),
            "4:20: epochs must be a positive integer, got 0");
  EXPECT_EQ(firstError(regression("  train { optimizer = adam(lr: 0) }\n")),
            "4:32: the learning rate must be positive, got 0");
  EXPECT_EQ(firstError(regression("  train { optimizer = rmsprop(lr: 0.1, rh: 0.9) }\n")),
            "4:40: rmsprop has no parameter 'rh'; did you mean 'rho'?");
  EXPECT_EQ(firstError(regression("  train { optimizer = nadam(lr: 0.1) }\n")),
            "4:23: unknown optimizer 'nadam'; did you mean 'adam'?");
  EXPECT_EQ(firstError(regression("  train { metrics = [accuracy] }\n")),
            "4:22: metric 'accuracy' needs class ids, but 'y' is a real-valued target; declare "
            "'label y: class[K]' or use mae or mse");
  EXPECT_EQ(firstError(regression("  data { features = [a, b, c] }\n")),
            "4:21: data lists 3 feature columns but input 'x' takes 4 (f32[4])");
}

TEST(FrontendErrors, DeclarationChecks) {
  EXPECT_EQ(firstError(regression("  param W: f32[4, 0] = zeros()\n")),
            "4:19: a dimension must be positive, got 0");
  EXPECT_EQ(firstError(regression("  param W: f32[4] = xavier()\n")),
            "4:21: unknown initializer 'xavier'; expected zeros, ones, constant, uniform, normal, "
            "glorot_uniform, glorot_normal, he_uniform or he_normal");
  EXPECT_EQ(firstError(regression("  x = 1\n")), "4:3: 'x' is already defined at 2:9");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  label y: f32[3]\n}\n"),
            "3:12: a label holds class ids: write 'label y: class[K]', or 'target y: f32[...]' "
            "for real values");
  EXPECT_EQ(firstError(regression("  h = dense(x, 8, activation: relo)\n")),
            "4:31: unknown activation 'relo'; did you mean 'relu'?");
  EXPECT_EQ(firstError(regression("  h = dense(x, 8, unit: 3)\n")),
            "4:19: dense has no parameter 'unit'; did you mean 'units'?");
}

TEST(FrontendErrors, IndependentErrorsAreAllReportedUpToTheCap) {
  auto errors = errorsOf(regression("  a = q1\n  b = x @ x\n  train { epochs = -1 }\n"));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "4:7: undefined name 'q1'");
  EXPECT_EQ(errors[1].substr(0, 5), "5:9: ");
  EXPECT_EQ(errors[2], "6:20: epochs must be a positive integer, got -1");

  std::string many;
  for (int i = 0; i < 50; ++i)
    many += "  v" + std::to_string(i) + " = nope\n";
  DiagnosticEngine diags;
  EXPECT_FALSE(compileModelSource("test.nn", regression(many), diags));
  EXPECT_EQ((int)diags.errors().size(), DiagnosticEngine::kMaxErrors);
  EXPECT_EQ(diags.droppedCount(), 50 - DiagnosticEngine::kMaxErrors);
}

TEST(FrontendErrors, PrintShowsTheLineAndACaretUnderTheSpan) {
  DiagnosticEngine diags;
  EXPECT_FALSE(compileModelSource("bad.nn", regression("  h = relu(hiden)\n"), diags));
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(os.str(), "bad.nn:4:12: error: undefined name 'hiden'\n"
                      "  h = relu(hiden)\n"
                      "           ^~~~~\n");
}

TEST(FrontendErrors, MissingFileIsReportedByPath) {
  DiagnosticEngine diags;
  EXPECT_FALSE(compileModelFile("/nonexistent/dir/model.nn", diags));
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(os.str(),
            "/nonexistent/dir/model.nn: error: cannot open model file: No such file or directory\n");
}

TEST(FrontendErrors, NoInputCrashes) {
  const std::vector<std::string> inputs = {
      "", "model", "model m", "model m {", "}", "model m { input }", "model m { x = }",
      "model m { loss }", "model m { train { } } model n { }", std::string(300, '('),
      "model m { h = " + std::string(5000, '-') + "x }", "\xff\xfe\x00garbage",
      "model m { input x: f32[99999999999999999999] }", "model m { h = 1e999999 }",
      "model m { \"unterminated }", "model m { data { features = [1, 2] } }",
      "model m { input x: f32[4] target y: f32[1] loss mse(x -> dense(4) -> softmax(), y -> relu()) }",
  };
  for (const std::string &text : inputs) {
    DiagnosticEngine diags;
    EXPECT_FALSE(compileModelSource("fuzz.nn", text, diags)) << text;
    EXPECT_TRUE(diags.hasErrors()) << text;
    std::ostringstream os;
    diags.print(os); // must not crash either
  }
}

TEST(Suggest, EditDistanceCountsSwapsAsOneEdit) {
  EXPECT_EQ(support::editDistance("relu", "relu"), 0u);
  EXPECT_EQ(support::editDistance("rleu", "relu"), 1u);
  EXPECT_EQ(support::editDistance("epoch", "epochs"), 1u);
  EXPECT_EQ(support::closestName("epoch", {"epochs", "seed", "metrics"}), "epochs");
  EXPECT_EQ(support::closestName("zzz", {"epochs", "seed", "metrics"}), "");
}

} // namespace
} // namespace nnc::frontend
