// Boost 1.81 in Debian ships no compiled Boost.JSON or Boost.URL: this one translation unit holds
// their definitions for the whole program.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
