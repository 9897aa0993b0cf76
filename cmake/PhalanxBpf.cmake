# SPDX-License-Identifier: Apache-2.0
# phalanx_bpf_object(NAME src [DEPENDS header...] [OPT level]): compiles src with clang -target
# bpf (at OPT, default -O2; a test builds the blocklist at -O1 to get another program) into
# ${NAME}.bpf.o, turns it into ${NAME}.skel.h with `bpftool gen skeleton` (the ELF is embedded in
# the header: nothing is loaded by path at run time), and exposes an INTERFACE target
# ${NAME}_skel that adds the skeleton's directory, bpf/ (for the shared ABI header) and libbpf.
# XDP programs touch only packet bytes and UAPI structs, so no vmlinux.h and no CO-RE.
#
# Included from more than one directory (bench/xdp is scanned before the top-level BPF block), so
# everything it finds is global: the libbpf target and cache variables.
include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET GLOBAL libbpf)
find_program(PHALANX_BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(PHALANX_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin REQUIRED)

# -target bpf has no multiarch include path, so <asm/types.h> (pulled in by <linux/types.h>)
# would not resolve: pass clang's own host search list with -idirafter, as libbpf-bootstrap does.
execute_process(
  COMMAND sh -c "${PHALANX_BPF_CLANG} -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \\(/.*\\)|-idirafter \\1|p }'"
  OUTPUT_VARIABLE _phalanx_bpf_sys_includes
  OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(_phalanx_bpf_sys_includes UNIX_COMMAND "${_phalanx_bpf_sys_includes}")
set(PHALANX_BPF_SYS_INCLUDES "${_phalanx_bpf_sys_includes}" CACHE INTERNAL "clang -idirafter flags")
set(PHALANX_BPF_INCLUDE_DIR ${PROJECT_SOURCE_DIR}/bpf CACHE INTERNAL "the BPF ABI headers")

function(phalanx_bpf_object NAME SRC)
  cmake_parse_arguments(B "" "OPT" "DEPENDS" ${ARGN})
  if(NOT B_OPT)
    set(B_OPT -O2)
  endif()
  get_filename_component(src ${SRC} ABSOLUTE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.skel.h)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${PHALANX_BPF_CLANG} -g ${B_OPT} -target bpf -Wall -Werror
            -I${PHALANX_BPF_INCLUDE_DIR} ${PHALANX_BPF_SYS_INCLUDES}
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src} ${B_DEPENDS}
    DEPFILE ${obj}.d
    COMMENT "Building BPF object ${NAME}.bpf.o"
    VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${PHALANX_BPFTOOL} gen skeleton ${obj} name ${NAME} > ${skel}
    DEPENDS ${obj}
    COMMENT "Generating BPF skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_skel_gen DEPENDS ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR}
                                                    ${PHALANX_BPF_INCLUDE_DIR})
  target_link_libraries(${NAME}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
