// SPDX-License-Identifier: Apache-2.0
// s6c: the S6 state-class compiler. All logic lives in the s6c_core library (driver.h).
#include <string>
#include <vector>

#include "driver.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return s6c::RunS6c(args);
}
