# Language level, build options and the sanitizer switch, as INTERFACE targets our own code links PRIVATE.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

option(NBS_BUILD_TESTS "Build the tests" ON)
# OFF in the `ci` preset: CI builds and runs the unit tests once, in the sanitizer tree, and this tree then
# builds only what that one cannot run (the tests against nomad-sim, integration, e2e, ...).
option(NBS_BUILD_UNIT_TESTS "Build the unit tests that the sanitizer build also runs" ON)
option(NBS_BUILD_BENCHMARKS "Build tests/bench (Google Benchmark)" ON)
option(NBS_BUILD_FUZZERS "Build the libFuzzer targets (needs clang)" OFF)
option(NBS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(nbs_settings INTERFACE)
if(NBS_SANITIZE)
  target_compile_options(nbs_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(nbs_settings INTERFACE -fsanitize=address,undefined)
endif()

# ccache when it is installed (scripts/install-deps installs it): a second build tree of the same sources
# (a sanitizer tree, a helper's tree) and a rebuild after switching branches reuse the objects. Paths are
# hashed relative to the source tree, so trees in other directories share the cache.
option(NBS_CCACHE "Compile through ccache when it is installed" ON)
find_program(NBS_CCACHE_EXE ccache)
if(NBS_CCACHE AND NBS_CCACHE_EXE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}
                                  CCACHE_NOHASHDIR=1 ${NBS_CCACHE_EXE})
endif()
