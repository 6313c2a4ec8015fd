# dns_query: the agent's name server's answer logic (src/agent/dns), included by CMakeLists.txt.
# It compiles the few files it needs, as vx_fuzz_parts does, so that they are instrumented; libldns
# itself is the system's, uninstrumented, and ASan sees its heap through malloc and free only.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LDNS REQUIRED IMPORTED_TARGET ldns)
add_executable(dns_query
  dns_query.cpp
  ${VX_ROOT}/src/agent/dns/answer.cpp
  ${VX_ROOT}/src/agent/dns/ldns_handles.cpp
  ${VX_ROOT}/src/agent/dns/message.cpp
)
target_link_options(dns_query PRIVATE -fsanitize=fuzzer)
target_link_libraries(dns_query PRIVATE vx_common PkgConfig::LDNS)
