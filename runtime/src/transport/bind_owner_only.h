// SPDX-License-Identifier: Apache-2.0
// File: transport/bind_owner_only.h
//
// Binding a ZeroMQ socket so that an ipc:// socket file is owner-only (0600): anyone who can
// reach a control socket's file could steer traffic or stop an instance. Owner-only from the
// first instant (the umask while binding; it is process-wide, so files created by other threads
// in that moment come out more restrictive, never less), and exactly 0600 afterwards (chmod).
// Binding an ipc:// path also unlinks whatever file is there, so a second process given a live
// process's endpoint would silently take its socket over: CheckIpcEndpointFree refuses that
// (a connect to the path succeeds only while someone listens) and leaves a stale file to bind.
// Header-only: the instance's sockets and s6-trafgen's use it from different libraries.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <zmq.hpp>

#include <s6/status.h>

namespace s6::transport {

/// FailedPrecondition when `endpoint` is an ipc:// path a live process listens on; OK for
/// anything else (no file, a stale socket file, another transport).
inline Status CheckIpcEndpointFree(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) != 0 || endpoint.size() <= 6 || endpoint[6] == '@') {
    return OkStatus();
  }
  const std::string path = endpoint.substr(6);
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return OkStatus();
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return OkStatus();  // bind will say so
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return OkStatus();
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  if (live) {
    return FailedPreconditionError("endpoint " + endpoint +
                                   " is in use by another process (binding it would take its "
                                   "socket over)");
  }
  return OkStatus();
}

/// Binds `socket` to `endpoint` (throws zmq::error_t as bind does), refusing an ipc:// path a
/// live process listens on; an ipc:// socket file (not an abstract one, ipc://@name) is made
/// owner-only.
inline Status BindOwnerOnly(zmq::socket_t& socket, const std::string& endpoint) {
  const bool ipc_file =
      endpoint.rfind("ipc://", 0) == 0 && endpoint.size() > 6 && endpoint[6] != '@';
  if (!ipc_file) {
    socket.bind(endpoint);
    return OkStatus();
  }
  if (Status free = CheckIpcEndpointFree(endpoint); !free.ok()) return free;
  const mode_t old_mask = ::umask(077);
  try {
    socket.bind(endpoint);
  } catch (...) {
    ::umask(old_mask);
    throw;
  }
  ::umask(old_mask);
  const std::string bound = socket.get(zmq::sockopt::last_endpoint);
  const std::string path = bound.rfind("ipc://", 0) == 0 ? bound.substr(6) : endpoint.substr(6);
  if (::chmod(path.c_str(), 0600) != 0) {
    return UnavailableError("cannot make " + path + " owner-only: " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace s6::transport
