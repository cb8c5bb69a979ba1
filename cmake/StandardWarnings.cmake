# Warnings are errors for our own targets (linked PRIVATE); third-party code is not affected.
# -Wno-missing-field-initializers: GCC 12 warns on C++20 designated initializers that leave members at
# their default member initializers, which is exactly what designated initializers are for.
add_library(nbs_warnings INTERFACE)
target_compile_options(nbs_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                                              -Wnon-virtual-dtor -Wno-missing-field-initializers)
