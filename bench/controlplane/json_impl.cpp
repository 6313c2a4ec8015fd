// Boost 1.81 in Debian ships no compiled Boost.JSON: this one translation unit holds its definitions.
#include <boost/json/src.hpp>
