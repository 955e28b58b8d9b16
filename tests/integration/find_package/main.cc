// SPDX-License-Identifier: Apache-2.0
#include <s6/testing/loopback_caller.h>

#include "consumer_state.s6.h"

int main() {
  consumer::Tally home;
  s6::testing::LoopbackCaller<consumer::Tally> caller(home);
  s6::Stub<consumer::Tally> tally(caller);
  tally.add("a");
  tally.add("b");
  return tally.count() == 2 ? 0 : 1;
}
