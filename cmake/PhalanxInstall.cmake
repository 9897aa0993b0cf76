# SPDX-License-Identifier: Apache-2.0
# `cmake --install`: binaries (their own directories install them), systemd units, the default
# configuration and Phalanx's content. With --prefix /usr the configuration goes to
# /etc/phalanx (GNUInstallDirs), which is where the binaries look by default. Configuration
# files that already exist are left alone: an upgrade never overwrites an admin's edits.
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
  install(CODE "
    set(dest \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SYSCONFDIR}/phalanx\")
    if(EXISTS \"\${dest}/${name}\")
      message(STATUS \"Kept existing: \${dest}/${name}\")
    else()
      file(INSTALL \"${file}\" DESTINATION \"\${dest}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
    endif()")
endforeach()
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/phalanx/acquis.d)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
