// Base64 for kubesim (kubeconfig certificate data, opaque list continue tokens): the core's
// strict codec, named in kubesim's namespace.
#pragma once

#include "object/base64.h"

namespace mlgitops::kubesim {

using mlgitops::Base64Decode;
using mlgitops::Base64Encode;

}  // namespace mlgitops::kubesim
