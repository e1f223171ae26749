/*
 * TEST HELPER for the Windows end-to-end test under Wine (tests/tests/windows_wine.rs). Not part of the product.
 * It does what a person or another program does on a clerk's PC, with Windows' own APIs:
 *
 *   import-pfx FILE PASSWORD user|machine   import a .pfx into CurrentUser\MY or LocalMachine\MY, the way a
 *                                           CA's tool or a double-click on the .pfx does (PFXImportCertStore);
 *                                           prints the SHA-1 thumbprint of each certificate that has a key
 *   hold-open FILE                          open FILE the way Excel holds a workbook (read/write, others may
 *                                           only read), print "ready", keep it open until stdin closes
 */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <string.h>

static int import_pfx(const wchar_t *file, const wchar_t *password, const wchar_t *where)
{
    BOOL machine = wcscmp(where, L"machine") == 0;
    HANDLE h = CreateFileW(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "open pfx: error %lu\n", GetLastError());
        return 2;
    }
    static BYTE buf[1 << 20];
    DWORD len = 0;
    if (!ReadFile(h, buf, sizeof buf, &len, NULL)) {
        fprintf(stderr, "read pfx: error %lu\n", GetLastError());
        CloseHandle(h);
        return 2;
    }
    CloseHandle(h);
    CRYPT_DATA_BLOB blob = { len, buf };
    HCERTSTORE pfx = PFXImportCertStore(&blob, password, machine ? CRYPT_MACHINE_KEYSET : CRYPT_USER_KEYSET);
    if (!pfx) {
        fprintf(stderr, "PFXImportCertStore: error 0x%08lx\n", GetLastError());
        return 2;
    }
    DWORD flags = machine ? CERT_SYSTEM_STORE_LOCAL_MACHINE : CERT_SYSTEM_STORE_CURRENT_USER;
    HCERTSTORE my = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, flags, L"MY");
    if (!my) {
        fprintf(stderr, "CertOpenStore MY: error 0x%08lx\n", GetLastError());
        return 2;
    }
    int keys = 0;
    PCCERT_CONTEXT cert = NULL;
    while ((cert = CertEnumCertificatesInStore(pfx, cert)) != NULL) {
        DWORD size = 0;
        if (!CertGetCertificateContextProperty(cert, CERT_KEY_PROV_INFO_PROP_ID, NULL, &size))
            continue; /* a CA certificate of the chain: not a login certificate */
        if (!CertAddCertificateContextToStore(my, cert, CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
            fprintf(stderr, "CertAddCertificateContextToStore: error 0x%08lx\n", GetLastError());
            return 2;
        }
        BYTE hash[20];
        DWORD hlen = sizeof hash;
        if (CertGetCertificateContextProperty(cert, CERT_SHA1_HASH_PROP_ID, hash, &hlen)) {
            for (DWORD i = 0; i < hlen; i++)
                printf("%02x", hash[i]);
            printf("\n");
        }
        keys++;
    }
    CertCloseStore(my, 0);
    CertCloseStore(pfx, 0);
    if (keys == 0) {
        fprintf(stderr, "the .pfx holds no certificate with a private key\n");
        return 2;
    }
    return 0;
}

static int hold_open(const wchar_t *file)
{
    HANDLE h = CreateFileW(file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "hold-open: error %lu\n", GetLastError());
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    char c;
    while (fread(&c, 1, 1, stdin) == 1) {
    }
    CloseHandle(h);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc == 5 && wcscmp(argv[1], L"import-pfx") == 0)
        return import_pfx(argv[2], argv[3], argv[4]);
    if (argc == 3 && wcscmp(argv[1], L"hold-open") == 0)
        return hold_open(argv[2]);
    fprintf(stderr, "usage: wine_test_helper import-pfx FILE PASSWORD user|machine | hold-open FILE\n");
    return 64;
}
