// The one translation unit that compiles Boost.Asio, Boost.Beast and Boost.Process v2.
// Every other file sees only their declarations (BOOST_*_SEPARATE_COMPILATION, set in
// CMakeLists.txt), which keeps the 2-core build short.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/process/v2/src.hpp>
