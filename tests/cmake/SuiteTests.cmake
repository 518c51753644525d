# Writes a CTest script registering one test per GoogleTest suite of TEST_BINARY (run after link).
# One process per suite, not per test: each start of the sanitized test binary costs a fixed
# fraction of a second, and suite-wide fixtures (a shared kubesim) are then started once.
#
# Inputs: TEST_BINARY, OUTPUT (the script to write), TIMEOUT (seconds per suite).
execute_process(COMMAND "${TEST_BINARY}" --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE status TIMEOUT 120)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --gtest_list_tests failed (${status}):\n${listing}")
endif()
# CMake lists treat brackets and semicolons specially; parameter values printed after test names
# may hold both, and suite names never do.
string(REGEX REPLACE "[][;]" "_" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with '.', optionally followed by a TypeParam comment.
  if(line MATCHES "^([^ #][^ ]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    list(APPEND suites "${suite}")
  endif()
endforeach()
if(NOT suites)
  message(FATAL_ERROR "${TEST_BINARY} lists no test suites")
endif()
set(script "")
foreach(suite IN LISTS suites)
  string(APPEND script
    "add_test([=[${suite}]=] [=[${TEST_BINARY}]=] [=[--gtest_filter=${suite}.*]=])\n"
    "set_tests_properties([=[${suite}]=] PROPERTIES TIMEOUT ${TIMEOUT})\n")
endforeach()
file(WRITE "${OUTPUT}" "${script}")
