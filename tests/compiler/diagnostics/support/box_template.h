// A user class template, defined away from the state class that uses it.
#pragma once

namespace t {

template <typename T, int N>
struct Box {
  T items[N];
};

}  // namespace t
