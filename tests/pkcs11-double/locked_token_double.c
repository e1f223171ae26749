/*
 * locked_token_double.c — a TEST DOUBLE of a USB-key driver. Test-only: never shipped, never configured
 * outside the tests (tests/src/lib.rs builds it into a temporary directory for each test that uses it).
 *
 * Why it exists: SoftHSM2, our stand-in for USB keys, never locks a PIN and never reports the
 * CKF_USER_PIN_FINAL_TRY / CKF_USER_PIN_LOCKED token flags, so the "last try" and "locked key" paths of the
 * login (issue 5) cannot be reached with it. Real vendor drivers do reach them. This module is a PKCS#11
 * module that wraps the real SoftHSM module and changes only what the PIN state is:
 *
 *   GJJ_DOUBLE_PIN_STATE = locked | final_try | count_low
 *     C_GetTokenInfo  ORs in CKF_USER_PIN_LOCKED / CKF_USER_PIN_FINAL_TRY / CKF_USER_PIN_COUNT_LOW;
 *     C_Login         answers CKR_PIN_LOCKED for the user PIN when `locked` (SoftHSM is not asked);
 *                     otherwise SoftHSM's own answer (a wrong PIN stays CKR_PIN_INCORRECT, the flags above
 *                     tell which warning it is).
 *   GJJ_DOUBLE_WRAPPED_MODULE = the module wrapped (default /usr/lib/softhsm/libsofthsm2.so).
 *
 * Everything else — slots, token labels, certificates, keys, signing — is SoftHSM's, through a copy of its
 * function list. Build: gcc -shared -fPIC -o liblocked_token_double.so locked_token_double.c
 *                        -I/usr/include/p11-kit-1 -ldl
 */

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_WRAPPED "/usr/lib/softhsm/libsofthsm2.so"

static CK_FUNCTION_LIST double_list;
static CK_FUNCTION_LIST_PTR wrapped;
static CK_RV load_rv = CKR_GENERAL_ERROR;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* The PIN state the double pretends, read at every call (the environment of the process using it). */
static int state_is(const char *name)
{
    const char *state = getenv("GJJ_DOUBLE_PIN_STATE");
    return state != NULL && strcmp(state, name) == 0;
}

static CK_RV double_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    CK_RV rv = wrapped->C_GetTokenInfo(slot, info);
    if (rv != CKR_OK || info == NULL)
        return rv;
    if (state_is("locked"))
        info->flags |= CKF_USER_PIN_LOCKED;
    else if (state_is("final_try"))
        info->flags |= CKF_USER_PIN_FINAL_TRY;
    else if (state_is("count_low"))
        info->flags |= CKF_USER_PIN_COUNT_LOW;
    return rv;
}

static CK_RV double_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    /* A locked token refuses every user PIN, the right one included, as a real key does. */
    if (user != CKU_SO && state_is("locked"))
        return CKR_PIN_LOCKED;
    return wrapped->C_Login(session, user, pin, pin_len);
}

static CK_RV double_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static void load_wrapped(void)
{
    const char *path = getenv("GJJ_DOUBLE_WRAPPED_MODULE");
    if (path == NULL || *path == '\0')
        path = DEFAULT_WRAPPED;
    /* RTLD_LOCAL: the wrapped module's symbols must not shadow ours for whoever dlsym()s this module. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get == NULL) {
        /* The caller only sees CKR_GENERAL_ERROR: say why where the test output shows it. */
        fprintf(stderr, "locked_token_double: cannot use %s: %s\n", path, dlerror());
        return;
    }
    CK_RV rv = get(&wrapped);
    if (rv != CKR_OK || wrapped == NULL) {
        load_rv = rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
        return;
    }
    double_list = *wrapped;
    double_list.C_GetFunctionList = double_GetFunctionList;
    double_list.C_GetTokenInfo = double_GetTokenInfo;
    double_list.C_Login = double_Login;
    load_rv = CKR_OK;
}

static CK_RV double_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_once(&load_once, load_wrapped);
    if (load_rv != CKR_OK)
        return load_rv;
    *list = &double_list;
    return CKR_OK;
}

/* The only exported symbol: the entry point every PKCS#11 consumer looks up. */
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    return double_GetFunctionList(list);
}
