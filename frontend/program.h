// A model file together with every file it imports, parsed.
//
// `import "layers.nn"` names a file relative to the importing file's
// directory. Each file is read and parsed once, however often it is imported
// (files are identified by their canonical path). Imported files hold layers
// (and imports); a model in an imported file is an error.
// Errors, at the import's string: a file that cannot be read ("cannot open
// imported file 'lib/layers.nn': No such file or directory"), an import cycle
// naming the chain from the model file ("import cycle: m.nn -> a.nn -> b.nn ->
// a.nn"), a model in an imported file, imports nested more than
// kMaxImportDepth deep, an import that is not a regular file or is over
// kMaxSourceBytes; plus the syntax errors of every file.
#pragma once
#include "frontend/ast.h"
#include "frontend/diagnostics.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend {

struct Program {
  /// Parsed files in the order they finished loading: imports before their
  /// importer; the model file is last.
  std::vector<std::unique_ptr<ast::File>> files;
  /// The model file (also in `files`); null if it did not parse.
  const ast::File *main = nullptr;
};

/// Loads the model file `path`, whose text is `text`, and its imports.
/// Returns false after any error (`out` then holds what did load).
bool loadProgram(const std::string &path, const std::string &text, DiagnosticEngine &diags,
                 Program &out);

/// The largest model or imported file: 16 MiB.
inline constexpr size_t kMaxSourceBytes = size_t(16) << 20;
/// How deep imports may nest (the model file's imports are depth 1).
inline constexpr size_t kMaxImportDepth = 64;

/// Reads a whole file of at most kMaxSourceBytes; nullopt with `error` set to
/// the reason (strerror, "not a regular file", "larger than the 16 MiB ...")
/// if it cannot be read, is a directory, is too large, or, with
/// `regularOnly`, is a device, pipe or socket.
std::optional<std::string> readTextFile(const std::string &path, std::string &error,
                                        bool regularOnly = false);

} // namespace nnc::frontend
