// Front end: user mistakes give located, readable errors (several per run);
// no input crashes the front end.
#include "frontend_test_util.h"
#include "ir/printer.h"
#include "support/spelling.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <string>

namespace nnc::frontend {
namespace {

using namespace test;

TEST(FrontendErrors, SyntaxErrorSaysWhatWasExpected) {
  EXPECT_EQ(firstError("model m {\n  input x f32[4]\n}\n"), "2:11: expected ':' but found 'f32'");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  h = x +\n}\n"),
            "4:1: expected an expression but found '}'");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n"),
            "2:18: expected '}' but found end of file");
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
  EXPECT_EQ(firstError(regression("  a = b\n  b = x\n")),
            "4:7: 'b' is used before its definition at 5:3");
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
  EXPECT_EQ(
      firstError(regression("  loss mse(x, y)\n")),
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
            "'label y: class[K]', use binary_cross_entropy_with_logits for 0/1 targets, or use "
            "mae");
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

TEST(FrontendErrors, PrintEscapesControlBytesAndKeepsTheCaretUnderThem) {
  DiagnosticEngine diags;
  diags.addSource("c.nn", "model m {\n\ta = \"\x1b[2J\" + b\x07"
                          "c\n}\n");
  diags.error({"c.nn", 2, 15},
              "bad 'b\x07"
              "c'",
              3);
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(os.str(), "c.nn:2:15: error: bad 'b\\x07c'\n"
                      "\ta = \"\\x1B[2J\" + b\\x07c\n"
                      "\t                ^~~~~~\n");
}

TEST(FrontendErrors, ErrorsInALayerNoteEachUseOnce) {
  DiagnosticEngine diags;
  std::string text = "layer f(x: f32[n]) -> f32[n] { return x + zzz }\n"
                     "layer g(x: f32[n]) -> f32[n] { return x -> f() }\n" +
                     regression("  a = x -> g()\n  b = x -> g()\n");
  EXPECT_FALSE(compileModelSource("bad.nn", text, diags));
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(os.str(), "bad.nn:1:43: error: undefined name 'zzz' in layer 'f'\n"
                      "layer f(x: f32[n]) -> f32[n] { return x + zzz }\n"
                      "                                          ^~~\n"
                      "bad.nn:2:44: note: in layer 'f' used here\n"
                      "layer g(x: f32[n]) -> f32[n] { return x -> f() }\n"
                      "                                           ^\n"
                      "bad.nn:6:12: note: in layer 'g' used here\n"
                      "  a = x -> g()\n"
                      "           ^\n");
}

TEST(FrontendErrors, MissingFileIsReportedByPath) {
  DiagnosticEngine diags;
  EXPECT_FALSE(compileModelFile("/nonexistent/dir/model.nn", diags));
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(
      os.str(),
      "/nonexistent/dir/model.nn: error: cannot open model file: No such file or directory\n");
}

TEST(FrontendErrors, LayerChecks) {
  const std::string residual =
      "layer residual(x: f32[n]) -> f32[n] { param W: f32[n, 2] = zeros() return x @ W }\n";
  EXPECT_EQ(firstError(residual + regression("  h = x -> residual()\n")),
            "1:75: layer 'residual' returns f32[B,2], but its declared result f32[n] means "
            "f32[B,4] here (n = 4)");
  EXPECT_EQ(firstError("layer a(x: f32[n]) -> f32[n] { return b(x) }\n"
                       "layer b(x: f32[n]) -> f32[n] { return a(x) }\n" +
                       regression("")),
            "2:39: layer 'a' is recursive: a -> b -> a; layers are inlined at each use, so they "
            "cannot call themselves");
  EXPECT_EQ(
      firstError("layer f(x: f32[3]) -> f32[3] { return x }\n" + regression("  h = x -> f()\n")),
      "5:12: argument 'x' of layer 'f' must be f32[B,3], got f32[B,4]");
  EXPECT_EQ(firstError("layer f(x: f32[n]) -> f32[m] { return x }\n" + regression("")),
            "1:27: dimension 'm' of the result is not bound by a parameter of layer 'f'; did you "
            "mean 'n'?");
}

TEST(FrontendErrors, LossAndMetricChecks) {
  EXPECT_EQ(firstError(regression("  loss x\n")),
            "4:8: the loss must be a scalar, but this expression is f32[B,4]; reduce it, as in "
            "mean(...)");
  EXPECT_EQ(firstError("model m {\n  input x: f32[4]\n  target y: f32[1]\n"
                       "  loss mean(x)\n  train { metrics = [mae] }\n}\n"),
            "5:11: metrics compare a prediction with the target, but this model has none: its "
            "loss is an expression and it has no output; declare one, as in 'output pred = ...'");
  EXPECT_EQ(firstError(regression("  train { early_stopping = true }\n")),
            "4:11: early_stopping monitors val_loss, but there is no validation split; set "
            "'validation = 0.2' or use early_stopping(monitor: loss)");
}

TEST(FrontendErrors, ImportErrorsNameTheFileAndTheChain) {
  auto root = writeFiles(
      "import_errors",
      {
          {"a.nn", "import \"b.nn\"\n"},
          {"b.nn", "import \"a.nn\"\nimport \"gone.nn\"\n"},
          {"m.nn",
           "import \"a.nn\"\nmodel m { input x: f32[2] target y: f32[2] loss mse(x, y) }\n"},
      });
  std::string m = (root / "m.nn").string(), a = (root / "a.nn").string(),
              b = (root / "b.nn").string();
  DiagnosticEngine diags;
  EXPECT_FALSE(compileModelFile(m, diags));
  ASSERT_EQ(diags.errors().size(), 2u);
  EXPECT_EQ(diags.errors()[0].loc.file, b);
  EXPECT_EQ(diags.errors()[0].message, "import cycle: " + m + " -> " + a + " -> " + b + " -> " + a);
  EXPECT_EQ(diags.errors()[1].message, "cannot open imported file '" + (root / "gone.nn").string() +
                                           "': No such file or directory");
  std::filesystem::remove_all(root);
}

TEST(FrontendErrors, MutatedExamplesNeverCrash) {
  // Random single-character edits of valid models: every result is either a
  // model or a set of located errors, never a crash or an exception.
  const std::string alphabet = "(){}[]<>:;,.=-+*/@#\"' \n0123456789xyzWnbf_";
  std::mt19937 rng(12345);
  for (const std::string &base : {std::string(kDeep), std::string(kIris)}) {
    for (int i = 0; i < 300; ++i) {
      std::string text = randomlyEdited(base, rng, alphabet, 8);
      DiagnosticEngine diags;
      auto model = compileModelSource("fuzz.nn", text, diags);
      EXPECT_TRUE(model || diags.hasErrors()) << text;
      std::ostringstream os;
      diags.print(os);
    }
  }
}

TEST(FrontendErrors, NoInputCrashes) {
  const std::vector<std::string> inputs = {
      "",
      "model",
      "model m",
      "model m {",
      "}",
      "model m { input }",
      "model m { x = }",
      "model m { loss }",
      "model m { train { } } model n { }",
      std::string(300, '('),
      "model m { h = " + std::string(5000, '-') + "x }",
      "\xff\xfe\x00garbage",
      "model m { input x: f32[99999999999999999999] }",
      "model m { h = 1e999999 }",
      "model m { \"unterminated }",
      "model m { data { features = [1, 2] } }",
      "model m { input x: f32[4] target y: f32[1] loss mse(x -> dense(4) -> softmax(), y -> "
      "relu()) }",
      "layer",
      "layer f",
      "layer f(x) -> f32[n] {}",
      "layer f(x: f32[n]) -> f32[n] { return }",
      "import",
      "import \"\"",
      "import \"/\"",
      "import \"\x01\"",
      "layer f(x: f32[n]) -> f32[n] { return f(f(x)) } model m { input x: f32[2] target y: f32[2] "
      "loss mse(x -> f(), y) }",
      "model m { input x: f32[2] target y: f32[2] loss mse(reshape(x, [-1, -1]), y) }",
      "model m { input x: f32[2] target y: f32[2] loss mse(sum(x, axis: [0, 0]), y) }",
      "model m { input x: f32[2] target y: f32[2] loss mse(concat(axis: 1), y) }",
      "model m { input x: f32[] target y: f32[] loss mse(softmax(sum(x, axis: [])), y) }",
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
