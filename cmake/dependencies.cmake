# Every dependency is a Debian 12 package (scripts/deps.sh installs them).
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(JWT REQUIRED IMPORTED_TARGET libjwt)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(VIPS REQUIRED IMPORTED_TARGET vips)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
if(PARLEY_JEMALLOC)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
if(PARLEY_TESTS)
  find_package(GTest REQUIRED)
endif()

# Flags every Parley translation unit shares. The Boost *_SEPARATE_COMPILATION
# macros must agree across all TUs: Asio, Beast and JSON are compiled once, in
# src/boost/, and every other TU only includes their declarations.
add_library(parley_options INTERFACE)
target_compile_definitions(parley_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_REGEX
  BOOST_JSON_NO_LIB
  SPDLOG_FMT_EXTERNAL
  PARLEY_VERSION="${PROJECT_VERSION}")
target_compile_options(parley_options INTERFACE -Wall -Wextra -Werror)
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  # g++ 12 warns (-Wtsan) that ThreadSanitizer does not model std::atomic_thread_fence, which
  # Boost.Asio's headers use (detail/std_fenced_block.hpp, detail/atomic_count.hpp); with -Werror
  # that one warning stopped the tsan preset from compiling. Only that warning is turned off: the
  # hand-offs Asio makes between threads also go through mutexes and atomics that TSan does see,
  # and should a missed fence ever cause a false report, it fails the run loudly, it hides nothing.
  target_compile_options(parley_options INTERFACE -Wno-tsan)
endif()
target_include_directories(parley_options INTERFACE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(parley_options INTERFACE Boost::headers Threads::Threads)
