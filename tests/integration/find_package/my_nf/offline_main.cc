// SPDX-License-Identifier: Apache-2.0
#include "my_nf.h"

int main(int argc, char** argv) {
  my_nf::Config config;
  return s6::host::OfflineMain(argc, argv, my_nf::Definition(config));
}
