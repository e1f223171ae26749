/*
 * TEST STAND-IN for a Windows system DLL, only for Wine 8 (Debian 12). Never shipped, never in an installer.
 *
 * Rust's std (1.78+) imports ProcessPrng from bcryptprimitives.dll. Windows 10/11 and Wine 9+ have it; Wine 8
 * does not, so every Rust .exe fails to load there (c0000135). This DLL exports the one function by calling
 * RtlGenRandom (advapi32!SystemFunction036), which Wine 8 implements. See shared/notes/windows.md.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
