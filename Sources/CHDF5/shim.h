// libhdf5 (Debian libhdf5-dev, 1.10 serial) for Swift.
//
// HDF5's type, property-list and flag constants are macros that call H5open() and read a global;
// Swift cannot import such macros, so each one is re-exported here as a static inline getter.
// H5P_DEFAULT is a plain 0 in 1.10 and imports as Int32: callers pass hid_t(H5P_DEFAULT).
#ifndef CONSISTENCY_TD_CHDF5_SHIM_H
#define CONSISTENCY_TD_CHDF5_SHIM_H
#include <hdf5.h>

// Native memory types (always matched to the Swift element type by the wrapper).
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t chdf5_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }

// Standard (file) types.
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t chdf5_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t chdf5_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t chdf5_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t chdf5_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t chdf5_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_std_u64le(void) { return H5T_STD_U64LE; }

// Property-list classes.
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t chdf5_p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }

// File access flags.
static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void) { return H5F_ACC_EXCL; }

// File drivers: the default POSIX driver, whose file handle is a pointer to an int descriptor.
static inline hid_t chdf5_fd_sec2(void) { return H5FD_SEC2; }

// Dataspace constants.
static inline hsize_t chdf5_s_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }

// Datatype sizes: H5T_VARIABLE is a cast macro, (size_t)(-1).
static inline size_t chdf5_t_variable(void) { return H5T_VARIABLE; }

// Error stack.
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

// Automatic error printing. In a thread-safe build libhdf5 keeps one error stack per thread, and
// each new thread's stack starts with printing switched on; H5Eset_auto2(H5E_DEFAULT, NULL, NULL)
// switches it off for the calling thread only. The wrapper calls this before its libhdf5 calls; the
// thread-local flag makes every call after the first on a thread a load and a branch. (A copy of
// the flag per translation unit is harmless: the worst case is one more H5Eset_auto2 per thread.)
static inline herr_t chdf5_silence_error_printing_on_this_thread(void) {
    static _Thread_local int silenced = 0;
    if (silenced) return 0;
    herr_t status = H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (status >= 0) silenced = 1;
    return status;
}

// 1 when automatic error printing is off on the calling thread, 0 when it is on, negative on failure.
static inline int chdf5_error_printing_is_off_on_this_thread(void) {
    H5E_auto2_t function = NULL;
    void *data = NULL;
    if (H5Eget_auto2(H5E_DEFAULT, &function, &data) < 0) return -1;
    return function == NULL ? 1 : 0;
}

// Links. H5Lget_info and H5L_info_t are renamed between 1.10 and 1.12 (H5Lget_info2/H5L_info2_t)
// through API-compatibility macros that Swift cannot import; in C the macro picks the right one.
// Returns the H5L_type_t value (hard 0, soft 1, external 64) or a negative value on failure.
static inline int chdf5_link_type(hid_t location, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(location, name, &info, H5P_DEFAULT) < 0) return -1;
    return (int)info.type;
}

#endif
