/*
 * dlpack_capsule.c -- the destructor of the DLPack capsules hologram exports,
 * compiled into hologram_core._native beside the cffi binding.
 *
 * A DLPack capsule's destructor runs when the capsule dies, often while an
 * exception is being raised (a consumer that refused the capsule): it must
 * keep that exception, which Python code called through ctypes cannot do.
 */
typedef struct hg_py_managed { char dl_tensor[48]; void *manager_ctx; void (*deleter)(struct hg_py_managed *); }
    hg_py_managed;

void hg_py_dlpack_capsule_destructor(void *capsule) {
    PyObject *self = (PyObject *)capsule;
    if (!PyCapsule_IsValid(self, "dltensor")) return; /* consumed: the consumer calls the deleter */
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    hg_py_managed *managed = (hg_py_managed *)PyCapsule_GetPointer(self, "dltensor");
    if (managed && managed->deleter) managed->deleter(managed);
    PyErr_Restore(type, value, traceback);
}
