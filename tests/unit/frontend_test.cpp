// Front end: the examples of the language design and every construct compile
// to the expected forward graph and configuration.
#include "frontend_test_util.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

namespace nnc::frontend {
namespace {

using namespace test;

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
  EXPECT_EQ(model->data.features, (std::vector<std::string>{"sepal_length", "sepal_width",
                                                            "petal_length", "petal_width"}));
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
  auto model = compileOk(
      regression("  train { optimizer = sgd(lr: 0.1, momentum: 0.9, nesterov: true); epochs = 5,\n"
                 "          batch_size = 8; seed = 7; shuffle = false; validation = 0.25; metrics "
                 "= [mae, mse] }\n"
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

TEST(Frontend, DeepExampleInlinesEachUseOfTheResidualLayer) {
  auto model = compileOk(kDeep);
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "%residual1.W = param \"residual1.W\" he_normal() : f32[32,32]")) << ir;
  EXPECT_TRUE(contains(ir, "%residual2.b = param \"residual2.b\" zeros() : f32[32]")) << ir;
  EXPECT_TRUE(contains(ir, "%dense2.W = param \"dense2.W\" glorot_uniform() : f32[32,1]")) << ir;
  EXPECT_EQ(model->forward->nodesOfKind(ir::OpKind::Param).size(), 8u);
  EXPECT_TRUE(model->predictionIsLogits);
  EXPECT_FALSE(model->classification);
  EXPECT_EQ(model->train.metrics, std::vector<std::string>{"accuracy"});
  // Nodes of the layer's body point into the layer.
  const ir::Node *param = model->forward->findNamed(ir::OpKind::Param, "residual2.W");
  ASSERT_TRUE(param);
  EXPECT_EQ(param->loc.line, 2);
}

TEST(Frontend, ImportsAreRelativeToTheImporterAndReadOnce) {
  auto root = writeFiles(
      "imports",
      {
          {"lib/a.nn", "import \"b.nn\"\nlayer twice(x: f32[n]) -> f32[n] { return x -> scale() -> "
                       "scale() }\n"},
          {"lib/b.nn",
           "layer scale(x: f32[n]) -> f32[n] { param s: f32[n] = ones() return x * s }\n"},
          {"m.nn",
           "import \"lib/a.nn\"\nimport \"lib/b.nn\"\nimport \"lib/../lib/a.nn\"\n"
           "model m { input x: f32[2] target y: f32[2] loss mse(x -> twice() -> scale(), y) }\n"},
      });
  DiagnosticEngine diags;
  auto model = compileModelFile((root / "m.nn").string(), diags);
  std::ostringstream os;
  diags.print(os);
  ASSERT_TRUE(model) << os.str();
  std::string ir = ir::printGraph(*model->forward);
  EXPECT_TRUE(contains(ir, "%twice1.scale2.s = param \"twice1.scale2.s\" ones() : f32[2]")) << ir;
  EXPECT_TRUE(contains(ir, "%scale1.s = param \"scale1.s\" ones() : f32[2]")) << ir;
  std::filesystem::remove_all(root);
}

TEST(Frontend, EveryBuiltinFunctionLowers) {
  auto model = compileOk(regression(
      "  param W: f32[4, 4] = normal(0, 0.1)\n"
      "  a = leaky_relu(x, alpha: 0.2) + elu(x) + gelu(x) + sigmoid(x) + tanh(x)\n"
      "  b = softmax(a) + log_softmax(a) + exp(a) + log(abs(a) + 1) + sqrt(abs(a)) + pow(a, 2)\n"
      "  c = max(a, b) + min(a, 0) + sum(a, axis: 1, keepdims: true) + mean(a, axis: -1, keepdims: "
      "true)\n"
      "  d = max(c, axis: 1, keepdims: true) + min(c, axis: [1], keepdims: true) + mean(c) + "
      "sum(c)\n"
      "  e = concat(reshape(c + d, [2, -1]) -> flatten(), x @ transpose(W), axis: -1)\n"
      "  output o = e -> dense(8, gelu) -> dropout(0.5)\n"));
  ASSERT_TRUE(model);
  std::string ir = ir::printGraph(*model->forward);
  for (const char *op : {"maximum", "minimum", "select", "greater", "erf", "abs", "pow", "softmax",
                         "reduce_max", "reshape", "concat", "transpose", "dropout_mask", "state"})
    EXPECT_TRUE(contains(ir, op)) << op << "\n" << ir;
  EXPECT_TRUE(contains(ir, "axis=1 : f32[B,8]\n")) << ir; // concat of [B,4] and [B,4]
}

TEST(Frontend, ExpressionLossTakesTheFirstOutputAsPrediction) {
  auto model = compileOk("model m {\n  input x: f32[4]\n  target y: f32[1]\n"
                         "  param W: f32[4, 1] = zeros()\n  output pred = x @ W\n"
                         "  loss mean((pred - y) * (pred - y)) + 0.1 * sum(W * W)\n"
                         "  train { metrics = [mae] }\n}\n");
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->predictionIsLogits);
  const ir::Graph &g = *model->forward;
  const ir::Node *pred = nullptr, *out = nullptr;
  for (const ir::Node *n : g.nodesOfKind(ir::OpKind::Output)) {
    if (n->name == "prediction")
      pred = n->operand(0);
    if (n->name == "pred")
      out = n->operand(0);
  }
  ASSERT_TRUE(pred && out);
  EXPECT_EQ(pred, out);
  EXPECT_TRUE(g.loss()->shape().isScalar());
}

TEST(Frontend, TrainAndDataBlocksEveryKey) {
  auto model = compileOk(regression(
      "  data { normalize_target = standard  validation = 0.1 }\n"
      "  train { optimizer = adamw(lr: 0.003, weight_decay: 0.05, beta1: 0.8, beta2: 0.99,\n"
      "                            eps: 1e-6, decay_biases: false)\n"
      "          lr_schedule = cosine(min_lr: 0.0001)\n"
      "          early_stopping(patience: 7)  metrics = [rmse, r2] }\n"));
  ASSERT_TRUE(model);
  const ir::OptimizerConfig &o = model->train.optimizer;
  EXPECT_EQ(o.kind, "adamw");
  EXPECT_DOUBLE_EQ(o.lr, 0.003);
  EXPECT_DOUBLE_EQ(o.weightDecay, 0.05);
  EXPECT_DOUBLE_EQ(o.beta1, 0.8);
  EXPECT_DOUBLE_EQ(o.beta2, 0.99);
  EXPECT_DOUBLE_EQ(o.eps, 1e-6);
  EXPECT_FALSE(o.decayBiases);
  EXPECT_EQ(o.schedule.kind, "cosine");
  EXPECT_DOUBLE_EQ(o.schedule.minLr, 0.0001);
  EXPECT_EQ(model->train.earlyStoppingPatience, 7);
  EXPECT_EQ(model->train.earlyStoppingMonitor, "val_loss");
  EXPECT_TRUE(model->data.standardizeTarget);
  EXPECT_EQ(model->train.metrics, (std::vector<std::string>{"rmse", "r2"}));

  auto rms =
      compileOk(regression("  train { optimizer = rmsprop  lr_schedule = step(step_size: 3)\n"
                           "          early_stopping = early_stopping(monitor: loss) }\n"));
  ASSERT_TRUE(rms);
  EXPECT_EQ(rms->train.optimizer.kind, "rmsprop");
  EXPECT_DOUBLE_EQ(rms->train.optimizer.lr, 0.01);
  EXPECT_DOUBLE_EQ(rms->train.optimizer.rho, 0.99);
  EXPECT_EQ(rms->train.optimizer.schedule.kind, "step");
  EXPECT_EQ(rms->train.optimizer.schedule.stepSize, 3);
  EXPECT_EQ(rms->train.earlyStoppingPatience, 5);
  EXPECT_EQ(rms->train.earlyStoppingMonitor, "loss");
  auto plainAdamw = compileOk(regression("  train { optimizer = adamw }\n"));
  ASSERT_TRUE(plainAdamw);
  EXPECT_DOUBLE_EQ(plainAdamw->train.optimizer.weightDecay, 0.01); // PyTorch's default
}

} // namespace
} // namespace nnc::frontend
