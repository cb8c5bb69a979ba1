# clang-tidy on demand, and the format targets.
option(NBS_CLANG_TIDY "Run clang-tidy while compiling" OFF)
if(NBS_CLANG_TIDY)
  find_program(CLANG_TIDY_EXE NAMES clang-tidy REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${CLANG_TIDY_EXE})
endif()

find_program(CLANG_FORMAT_EXE NAMES clang-format)
if(CLANG_FORMAT_EXE)
  file(GLOB_RECURSE NBS_FORMAT_FILES CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/common/*.[ch]pp ${PROJECT_SOURCE_DIR}/jobs/*.[ch]pp
       ${PROJECT_SOURCE_DIR}/mcpd/*.[ch]pp ${PROJECT_SOURCE_DIR}/runner/*.[ch]pp
       ${PROJECT_SOURCE_DIR}/tests/*.[ch]pp)
  add_custom_target(format COMMAND ${CLANG_FORMAT_EXE} -i ${NBS_FORMAT_FILES})
  add_custom_target(check_format COMMAND ${CLANG_FORMAT_EXE} --dry-run --Werror ${NBS_FORMAT_FILES})
endif()
