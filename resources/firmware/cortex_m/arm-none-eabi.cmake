# arm-none-eabi.cmake -- CMake toolchain file for the TrainPlan firmware (GNU Arm Embedded).
#
#   cmake -S <export> -B build-m4 -DCMAKE_TOOLCHAIN_FILE=<export>/cortex_m/arm-none-eabi.cmake \
#         -DTRAINPLAN_TARGET=cortex-m4
#
# The CPU and FPU flags are added by the export's CMakeLists.txt from TRAINPLAN_TARGET. Set
# ARM_TOOLCHAIN_DIR (cache variable or environment) to the toolchain's bin/ folder when
# arm-none-eabi-gcc is not on the PATH.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

if(NOT ARM_TOOLCHAIN_DIR AND DEFINED ENV{ARM_TOOLCHAIN_DIR})
    set(ARM_TOOLCHAIN_DIR "$ENV{ARM_TOOLCHAIN_DIR}")
endif()
set(ARM_TOOLCHAIN_DIR "${ARM_TOOLCHAIN_DIR}" CACHE PATH "Folder holding arm-none-eabi-gcc (empty: PATH)")
# Try-compile projects do not see cache variables unless forwarded.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ARM_TOOLCHAIN_DIR)

set(_tp_prefix "arm-none-eabi-")
if(ARM_TOOLCHAIN_DIR)
    set(_tp_prefix "${ARM_TOOLCHAIN_DIR}/arm-none-eabi-")
endif()

set(CMAKE_C_COMPILER "${_tp_prefix}gcc")
set(CMAKE_CXX_COMPILER "${_tp_prefix}g++")
set(CMAKE_ASM_COMPILER "${_tp_prefix}gcc")
set(CMAKE_AR "${_tp_prefix}ar" CACHE FILEPATH "")
set(CMAKE_RANLIB "${_tp_prefix}ranlib" CACHE FILEPATH "")
set(CMAKE_OBJCOPY "${_tp_prefix}objcopy" CACHE FILEPATH "")
set(CMAKE_SIZE "${_tp_prefix}size" CACHE FILEPATH "")

# No linking during compiler checks: a bare-metal link needs the linker script and startup code.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
