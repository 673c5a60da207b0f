// Shared by the front-end tests: example models and helpers that compile
// text and collect errors as "line:col: message".
#pragma once
#include "frontend/model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace nnc::frontend::test {

inline const char *kSeed = R"(// seed.nn — regression, 3 features -> 1 value
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

inline const char *kIris = R"(model iris {
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

inline const char *kIrisExplicit = R"(model iris_explicit {
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

inline std::unique_ptr<Model> compileOk(const std::string &text) {
  DiagnosticEngine diags;
  auto model = compileModelSource("test.nn", text, diags);
  std::ostringstream os;
  diags.print(os);
  EXPECT_TRUE(model) << os.str();
  EXPECT_FALSE(diags.hasErrors()) << os.str();
  return model;
}

/// "line:col: message" of every error.
inline std::vector<std::string> errorsOf(const std::string &text) {
  DiagnosticEngine diags;
  auto model = compileModelSource("test.nn", text, diags);
  EXPECT_FALSE(model);
  std::vector<std::string> out;
  for (const Diagnostic &d : diags.errors())
    out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " + d.message);
  return out;
}

inline std::string firstError(const std::string &text) {
  auto errors = errorsOf(text);
  return errors.empty() ? "<no error>" : errors[0];
}

/// A small valid regression model with `body` inserted before its loss.
inline std::string regression(const std::string &body) {
  return "model m {\n"
         "  input x: f32[4]\n"
         "  target y: f32[1]\n" +
         body +
         "  pred = x -> dense(1)\n"
         "  loss mse(pred, y)\n"
         "}\n";
}

inline bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

inline const char *kDeep = R"(layer residual(x: f32[n]) -> f32[n] {
    param W: f32[n, n] = he_normal()
    param b: f32[n]    = zeros()
    return relu(x @ W + b) + x
}

model deep {
    input  x: f32[30]
    target y: f32[1]                 // 0/1 labels
    logits = x -> dense(32, relu) -> residual() -> residual() -> dense(1)
    output p = sigmoid(logits)
    loss binary_cross_entropy_with_logits(logits, y)
    train { metrics = [accuracy] }
}
)";

/// Writes `files` (name -> text) into a fresh directory; returns its path.
inline std::filesystem::path
writeFiles(const std::string &dir, const std::vector<std::pair<std::string, std::string>> &files) {
  auto root = std::filesystem::temp_directory_path() / ("nnc_frontend_test_" + dir);
  std::filesystem::remove_all(root);
  for (const auto &[name, text] : files) {
    std::filesystem::create_directories((root / name).parent_path());
    std::ofstream(root / name) << text;
  }
  return root;
}

/// `text` with 1-3 random edits (a run of up to `maxErase` characters
/// erased, a character of `alphabet` inserted or put in place of one): the
/// input of the tests that every edit compiles or gives located errors.
inline std::string randomlyEdited(std::string text, std::mt19937 &rng, const std::string &alphabet,
                                  int maxErase) {
  for (int edits = 1 + (int)(rng() % 3); edits > 0; --edits) {
    size_t at = rng() % text.size();
    switch (rng() % 3) {
    case 0:
      text.erase(at, 1 + rng() % maxErase);
      break;
    case 1:
      text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      break;
    default:
      text[at] = alphabet[rng() % alphabet.size()];
      break;
    }
  }
  return text;
}

} // namespace nnc::frontend::test
