#include "ipam/requests.h"

namespace vx::ipam {

Result<AllocateRequest> parse_allocate(std::string_view body, const PoolSpec& pool) {
  auto request = proto::parse_allocate_request(body);
  if (!request) return request.error();
  if (request->ip_address) {
    if (auto member = pool.check_member(*request->ip_address); !member) return member.error();
  }
  return request;
}

}  // namespace vx::ipam
