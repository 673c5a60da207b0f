// The C header of an object emitted by object_emitter.h: include guard,
// <stdint.h>, an extern "C" block, sizes as macros, the name tables and a
// documented declaration of the entry point. Valid C99 and C++.
#pragma once
#include "codegen/object_emitter.h"

#include <string>

namespace nnc::codegen {

/// The text of the header declaring what emitAot() defined for `model`.
std::string cHeader(const AotModel &model, const AotInterface &api);

} // namespace nnc::codegen
