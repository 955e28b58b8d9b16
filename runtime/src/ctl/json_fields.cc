// SPDX-License-Identifier: Apache-2.0
#include "ctl/json_fields.h"

#include <cmath>

namespace s6::ctl {
namespace {

bool IsCount(const Json& j) {
  if (j.is_number_unsigned()) return true;
  if (j.is_number_integer()) return j.get<int64_t>() >= 0;
  if (j.is_number_float()) {
    const double d = j.get<double>();
    return std::isfinite(d) && d >= 0 && d < 1.8e19;
  }
  return false;
}
bool IsNumber(const Json& j) { return j.is_number(); }
bool IsObject(const Json& j) { return j.is_object(); }
bool IsString(const Json& j) { return j.is_string(); }

}  // namespace

const Json* JsonFields::Find(std::string_view path) const {
  const Json* at = &root_;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

const Json* JsonFields::Want(std::string_view path, bool ok(const Json&), const char* want) {
  const Json* j = Find(path);
  if (j == nullptr) {
    problems_.push_back(source_ + ": missing " + std::string(path));
    return nullptr;
  }
  if (!ok(*j)) {
    problems_.push_back(source_ + ": " + std::string(path) + " is " +
                        (j->is_number() ? "a negative or huge number" : j->type_name()) +
                        ", want " + want);
    return nullptr;
  }
  return j;
}

uint64_t JsonFields::Count(std::string_view path) {
  const Json* j = Want(path, IsCount, "a count");
  if (j == nullptr) return 0;
  if (j->is_number_float()) return static_cast<uint64_t>(j->get<double>());
  return j->get<uint64_t>();
}

double JsonFields::Number(std::string_view path) {
  const Json* j = Want(path, IsNumber, "a number");
  return j == nullptr ? 0.0 : j->get<double>();
}

Json JsonFields::Object(std::string_view path) {
  const Json* j = Want(path, IsObject, "an object");
  return j == nullptr ? Json::object() : *j;
}

std::string JsonFields::String(std::string_view path) {
  const Json* j = Want(path, IsString, "a string");
  return j == nullptr ? std::string() : j->get<std::string>();
}

}  // namespace s6::ctl
