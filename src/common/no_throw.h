// The completion token for an Asio operation inside a coroutine whose errors are values: the
// operation answers a tuple of its error code and results instead of throwing.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx {

inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace vx
