# SPDX-License-Identifier: Apache-2.0
# `cmake --install`: binaries (their own directories install them), systemd units, the default
# configuration and Phalanx's content. Paths are fixed when the build is configured (the units
# name the binaries, the binaries name their configuration), so install without --prefix:
# `cmake -S . -B build [-DCMAKE_INSTALL_PREFIX=/usr] && cmake --install build`.
# The configuration goes to /etc/phalanx whatever the prefix (set CMAKE_INSTALL_SYSCONFDIR to
# change it); files that already exist are left alone: an upgrade never overwrites an admin's
# edits.
if(NOT DEFINED CACHE{CMAKE_INSTALL_SYSCONFDIR})
  set(CMAKE_INSTALL_SYSCONFDIR /etc CACHE PATH "read-only single-machine data (DATAROOTDIR/etc)")
endif()
include(GNUInstallDirs)

set(PHALANX_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
    CACHE PATH "Where the systemd units are installed")
foreach(unit phalanxd phalanx-xdp phalanx-nft)
  configure_file(${PROJECT_SOURCE_DIR}/scripts/systemd/${unit}.service.in
                 ${PROJECT_BINARY_DIR}/systemd/${unit}.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${unit}.service
          DESTINATION ${PHALANX_SYSTEMD_UNIT_DIR})
endforeach()

set(PHALANX_CONFIG_FILES
    ${PROJECT_SOURCE_DIR}/examples/config/config.yaml
    ${PROJECT_SOURCE_DIR}/examples/config/acquis.yaml
    ${PROJECT_SOURCE_DIR}/examples/config/phalanx-xdp.yaml
    ${PROJECT_SOURCE_DIR}/examples/config/phalanx-nft.yaml
    ${PROJECT_SOURCE_DIR}/scenarios/profiles/profiles.yaml)
foreach(file ${PHALANX_CONFIG_FILES})
  get_filename_component(name ${file} NAME)
  # file(INSTALL) adds DESTDIR itself; the existence check must add it by hand.
  install(CODE "
    set(dest \"${CMAKE_INSTALL_FULL_SYSCONFDIR}/phalanx\")
    if(EXISTS \"\$ENV{DESTDIR}\${dest}/${name}\")
      message(STATUS \"Kept existing: \$ENV{DESTDIR}\${dest}/${name}\")
    else()
      file(INSTALL \"${file}\" DESTINATION \"\${dest}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
    endif()")
endforeach()
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/phalanx/acquis.d)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
