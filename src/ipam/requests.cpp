#include "ipam/requests.h"

namespace vx::ipam {

Result<AllocateRequest> parse_allocate(std::string_view body, const PoolSpec& pool) {
  auto request = proto::parse_allocate_request(body);
  if (!request) return request.error();
  // Another network's pool is in Redis alone: the store refuses an address outside it.
  if (request->ip_address && request->network == proto::kDefaultNetwork) {
    if (auto member = pool.check_member(*request->ip_address); !member) return member.error();
  }
  return request;
}

}  // namespace vx::ipam
