# Warnings are errors for our own targets (linked PRIVATE); third-party code is not affected.
add_library(nbs_warnings INTERFACE)
target_compile_options(nbs_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror -Wshadow=local
                                              -Wnon-virtual-dtor -Wno-error=deprecated-declarations)
