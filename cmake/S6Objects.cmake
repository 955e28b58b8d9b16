# SPDX-License-Identifier: Apache-2.0
# s6_add_objects(NAME HEADERS h1.h ... [INCLUDES dir ...] [DEFINES NAME[=V] ...])
#
# Runs s6c on the state headers at build time and builds the generated codecs, stubs, skeletons
# and descriptors into a static library target NAME. Link NAME and include "<stem>.s6.h".
# s6c reruns when a header, anything it includes (via a depfile) or s6c itself changes.
# Works in the S6 build tree and, after find_package(S6), in any other project.
include_guard(GLOBAL)

function(s6_add_objects NAME)
  cmake_parse_arguments(ARG "" "" "HEADERS;INCLUDES;DEFINES" ${ARGN})
  if(NOT ARG_HEADERS)
    message(FATAL_ERROR "s6_add_objects(${NAME}): HEADERS is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "s6_add_objects(${NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(TARGET s6c)
    set(s6c_target s6c)
  elseif(TARGET s6::s6c)
    set(s6c_target s6::s6c)
  elseif(TARGET S6::s6c)
    set(s6c_target S6::s6c)
  else()
    message(FATAL_ERROR "s6_add_objects(${NAME}): s6c is not available; build S6 with "
      "S6_BUILD_COMPILER=ON or find_package(S6)")
  endif()

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.s6")
  set(headers "")
  set(outputs "")
  set(sources "")
  set(header_dirs "")
  foreach(h IN LISTS ARG_HEADERS)
    get_filename_component(abs "${h}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(stem "${abs}" NAME_WE)
    get_filename_component(dir "${abs}" DIRECTORY)
    list(APPEND headers "${abs}")
    list(APPEND header_dirs "${dir}")
    list(APPEND outputs "${out_dir}/${stem}.s6.h" "${out_dir}/${stem}.s6.cc")
    list(APPEND sources "${out_dir}/${stem}.s6.cc")
  endforeach()
  list(REMOVE_DUPLICATES header_dirs)

  set(flags "")
  foreach(dir IN LISTS ARG_INCLUDES)
    get_filename_component(abs "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND flags "-I${abs}")
  endforeach()
  foreach(def IN LISTS ARG_DEFINES)
    list(APPEND flags "-D${def}")
  endforeach()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${s6c_target} ${headers} -o "${out_dir}" ${flags} --depfile "${out_dir}/${NAME}.d"
    DEPENDS ${headers} ${s6c_target}
    DEPFILE "${out_dir}/${NAME}.d"
    COMMENT "s6c: generating state code for ${NAME}"
    VERBATIM COMMAND_EXPAND_LISTS)

  add_library(${NAME} STATIC ${sources})
  target_include_directories(${NAME} PUBLIC "${out_dir}" ${header_dirs} ${ARG_INCLUDES})
  target_compile_definitions(${NAME} PUBLIC ${ARG_DEFINES})
  if(TARGET s6::object)
    target_link_libraries(${NAME} PUBLIC s6::object)
  elseif(TARGET S6::object)
    target_link_libraries(${NAME} PUBLIC S6::object)
  endif()
  if(DEFINED S6_WARNING_FLAGS)
    target_compile_options(${NAME} PRIVATE ${S6_WARNING_FLAGS})
  endif()
endfunction()
