# Every third-party dependency, with the minimum version Debian 12 ships, and a summary at the end.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url system)
find_package(OpenSSL 3.0 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2>=1.5)
# getLogs grep: a linear-time engine for untrusted patterns. Debian's re2.pc says 0.0.0 (it ships
# 2022-06-01), so no minimum version can be asked for.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_package(spdlog 1.10 REQUIRED)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
# JUnit XML test reports (jobs/junit.cpp): a maintained parser rather than a hand-written one.
find_package(pugixml 1.13 REQUIRED)
if(NBS_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(NBS_BUILD_BENCHMARKS)
  find_package(benchmark 1.7 REQUIRED)
endif()

# Beast and Asio are header-only; this target collects what every network user needs.
add_library(nbs_boost_net INTERFACE)
target_link_libraries(nbs_boost_net INTERFACE Boost::headers Boost::system OpenSSL::SSL OpenSSL::Crypto
                                              Threads::Threads)
target_compile_definitions(nbs_boost_net INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

message(STATUS "nbs dependencies: Boost ${Boost_VERSION}, OpenSSL ${OPENSSL_VERSION}, libgit2 ${LIBGIT2_VERSION}, "
               "RE2, spdlog ${spdlog_VERSION}, yaml-cpp ${yaml-cpp_VERSION}, "
               "CLI11 ${CLI11_VERSION}, pugixml ${pugixml_VERSION}")
