// The registry names (and CNI attachments) that an operation of this agent is changing. Every
// operation that reserves, adopts or releases a name takes it here first, before its first
// await, and holds it to its end; a second operation on a name already taken is refused (or, for
// housekeeping, left to its next pass) rather than run beside it, since the two would judge each
// other's half-made state and one could free the address under the other's container. One set
// serves the agent's containers, Docker's own, the CNI's, the reconciler and the removal follower,
// so that none frees a name another is making. The agent runs on one thread: no lock is needed.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace vx::agent {

// Whether a CNI attachment on this host holds a name (cni/cni_service.h): such a name is its
// runtime's to release, with a DEL, and no Docker container of the same name may take it over.
using AttachedHere = std::function<Result<bool>(const std::string& name)>;

class NameClaims {
 public:
  // Holds its keys until it is destroyed.
  class Claim {
   public:
    Claim(NameClaims& claims, std::vector<std::string> keys) : claims_(&claims), keys_(std::move(keys)) {}
    Claim(Claim&& other) noexcept : claims_(std::exchange(other.claims_, nullptr)), keys_(std::move(other.keys_)) {}
    Claim& operator=(Claim&&) = delete;
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim() {
      if (claims_ == nullptr) return;
      for (const auto& key : keys_) claims_->taken_.erase(key);
    }

   private:
    NameClaims* claims_;
    std::vector<std::string> keys_;
  };

  // All of `keys` or none: nothing when any of them is taken already.
  std::optional<Claim> take(std::initializer_list<std::string> keys) {
    for (const auto& key : keys) {
      if (taken_.count(key)) return std::nullopt;
    }
    taken_.insert(keys.begin(), keys.end());
    return Claim(*this, std::vector<std::string>(keys));
  }

  bool taken(const std::string& key) const { return taken_.count(key) > 0; }

 private:
  std::set<std::string> taken_;
};

}  // namespace vx::agent
