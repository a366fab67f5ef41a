# cmake -DDIR=<folder> -P clear_reports.cmake: the sanitizer pass starts with an empty folder.
if(NOT DIR)
  message(FATAL_ERROR "pass -DDIR=<sanitizer report folder>")
endif()
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
message(STATUS "sanitizer reports go to ${DIR}")
