using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Native;

/// <summary>
/// The OpenSSL 3 calls the TLS and DTLS addresses make: SharpCat speaks both through libssl, as
/// socat does, so that cipher strings, DH parameters, versions and certificate checks mean what
/// they mean to socat. libssl and libcrypto are loaded on first use only, so an invocation
/// without TLS never pays for them. Source-generated marshalling only (AOT-safe).
/// </summary>
internal static unsafe partial class LibSsl
{
    private const string Ssl = "libssl.so.3", Crypto = "libcrypto.so.3";

    public const int SSL_FILETYPE_PEM = 1;
    public const int SSL_VERIFY_NONE = 0, SSL_VERIFY_PEER = 1, SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;
    public const int SSL_ERROR_SSL = 1, SSL_ERROR_WANT_READ = 2, SSL_ERROR_WANT_WRITE = 3, SSL_ERROR_SYSCALL = 5, SSL_ERROR_ZERO_RETURN = 6;
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55, DTLS_CTRL_GET_TIMEOUT = 73, DTLS_CTRL_HANDLE_TIMEOUT = 74;
    public const int SSL_CTRL_SET_READ_AHEAD = 41, SSL_CTRL_SET_MIN_PROTO_VERSION = 123, SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    public const int BIO_NOCLOSE = 0, BIO_CTRL_PENDING = 10, BIO_CTRL_DGRAM_SET_CONNECTED = 32;
    public const ulong SSL_OP_IGNORE_UNEXPECTED_EOF = 1UL << 7;
    public const int X509_V_ERR_HOSTNAME_MISMATCH = 62, X509_V_ERR_IP_ADDRESS_MISMATCH = 64;

    [LibraryImport(Ssl)] internal static partial nint DTLS_client_method();
    [LibraryImport(Ssl)] internal static partial nint DTLS_server_method();
    [LibraryImport(Ssl)] internal static partial nint TLS_client_method();
    [LibraryImport(Ssl)] internal static partial nint TLS_server_method();
    [LibraryImport(Ssl)] internal static partial ulong SSL_CTX_set_options(nint ctx, ulong options);
    [LibraryImport(Ssl)] internal static partial int SSL_in_init(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] internal static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] internal static partial int SSL_CTX_use_certificate_chain_file(nint ctx, string file);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] internal static partial int SSL_CTX_use_PrivateKey_file(nint ctx, string file, int type);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_check_private_key(nint ctx);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] internal static partial int SSL_CTX_load_verify_locations(nint ctx, string? file, string? path);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_set_default_verify_paths(nint ctx);
    [LibraryImport(Ssl)] internal static partial void SSL_CTX_set_verify(nint ctx, int mode, nint callback);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] internal static partial int SSL_CTX_set_cipher_list(nint ctx, string list);
    [LibraryImport(Ssl)] internal static partial nint SSL_CTX_ctrl(nint ctx, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_set0_tmp_dh_pkey(nint ctx, nint pkey);

    [LibraryImport(Ssl)] internal static partial nint SSL_new(nint ctx);
    [LibraryImport(Ssl)] internal static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] internal static partial void SSL_set_bio(nint ssl, nint rbio, nint wbio);
    [LibraryImport(Ssl)] internal static partial void SSL_set_connect_state(nint ssl);
    [LibraryImport(Ssl)] internal static partial void SSL_set_accept_state(nint ssl);
    [LibraryImport(Ssl, SetLastError = true)] internal static partial int SSL_do_handshake(nint ssl);
    [LibraryImport(Ssl, SetLastError = true)] internal static partial int SSL_read(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl, SetLastError = true)] internal static partial int SSL_write(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl, SetLastError = true)] internal static partial int SSL_shutdown(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_get_error(nint ssl, int ret);
    [LibraryImport(Ssl)] internal static partial nint SSL_ctrl(nint ssl, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] internal static partial int SSL_set1_host(nint ssl, string host);
    [LibraryImport(Ssl)] internal static partial nint SSL_get0_param(nint ssl);
    [LibraryImport(Ssl)] internal static partial long SSL_get_verify_result(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_get1_peer_certificate(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_get_version(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_get_current_cipher(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_CIPHER_get_name(nint cipher);

    [LibraryImport(Crypto)] internal static partial nint BIO_new_dgram(int fd, int closeFlag);
    [LibraryImport(Crypto)] internal static partial nint BIO_s_mem();
    // The WebSocket handshake's Sec-WebSocket-Accept (WebSockets/WebSocketKey.cs).
    [LibraryImport(Crypto)] internal static partial byte* SHA1(byte* data, nuint count, byte* digest);
    [LibraryImport(Crypto)] internal static partial nint BIO_new_socket(int fd, int closeFlag);
    [LibraryImport(Crypto)] internal static partial nint BIO_new(nint type);
    [LibraryImport(Crypto)] internal static partial int BIO_read(nint bio, byte* buffer, int count);
    [LibraryImport(Crypto)] internal static partial nint BIO_ctrl(nint bio, int cmd, nint larg, nint parg);
    [LibraryImport(Crypto, StringMarshalling = StringMarshalling.Utf8)] internal static partial nint BIO_new_file(string file, string mode);
    [LibraryImport(Crypto)] internal static partial int BIO_free(nint bio);
    [LibraryImport(Crypto)] internal static partial nint PEM_read_bio_Parameters(nint bio, nint x);
    [LibraryImport(Crypto)] internal static partial void EVP_PKEY_free(nint pkey);
    [LibraryImport(Crypto, StringMarshalling = StringMarshalling.Utf8)] internal static partial int X509_VERIFY_PARAM_set1_ip_asc(nint param, string ip);
    [LibraryImport(Crypto)] internal static partial nint X509_verify_cert_error_string(long code);
    [LibraryImport(Crypto)] internal static partial nint X509_STORE_CTX_get_current_cert(nint storeContext);
    [LibraryImport(Crypto)] internal static partial int X509_STORE_CTX_get_error(nint storeContext);
    [LibraryImport(Crypto)] internal static partial void X509_STORE_CTX_set_error(nint storeContext, int error);
    [LibraryImport(Crypto)] internal static partial nint X509_STORE_CTX_get_ex_data(nint storeContext, int index);
    [LibraryImport(Ssl)] internal static partial int SSL_get_ex_data_X509_STORE_CTX_idx();
    [LibraryImport(Crypto)] internal static partial nint d2i_X509(nint reuse, byte** input, nint length);
    [LibraryImport(Crypto)] internal static partial nint X509_get_subject_name(nint x509);
    [LibraryImport(Crypto)] internal static partial nint X509_get_issuer_name(nint x509);
    [LibraryImport(Crypto)] internal static partial int X509_NAME_entry_count(nint name);
    [LibraryImport(Crypto)] internal static partial nint X509_NAME_get_entry(nint name, int index);
    [LibraryImport(Crypto)] internal static partial nint X509_NAME_ENTRY_get_object(nint entry);
    [LibraryImport(Crypto)] internal static partial nint X509_NAME_ENTRY_get_data(nint entry);
    [LibraryImport(Crypto)] internal static partial int OBJ_obj2nid(nint obj);
    [LibraryImport(Crypto)] internal static partial nint OBJ_nid2ln(int nid);
    [LibraryImport(Crypto)] internal static partial int ASN1_STRING_to_UTF8(byte** output, nint text);
    [LibraryImport(Crypto)] internal static partial int X509_NAME_print_ex(nint bio, nint name, int indent, ulong flags);
    [LibraryImport(Crypto)] internal static partial int X509_NAME_get_text_by_NID(nint name, int nid, byte* buffer, int length);
    [LibraryImport(Crypto)] internal static partial nint X509_get_ext_d2i(nint x509, int nid, nint critical, nint index);
    [LibraryImport(Crypto)] internal static partial void GENERAL_NAMES_free(nint names);
    [LibraryImport(Crypto)] internal static partial byte* ASN1_STRING_get0_data(nint text);
    [LibraryImport(Crypto)] internal static partial int ASN1_STRING_length(nint text);
    [LibraryImport(Crypto)] internal static partial int i2d_X509(nint x509, byte** output);
    [LibraryImport(Crypto)] internal static partial void X509_free(nint x509);
    [LibraryImport(Crypto)] internal static partial void CRYPTO_free(nint p, nint file, int line);
    [LibraryImport(Crypto)] internal static partial ulong ERR_get_error();
    [LibraryImport(Crypto)] internal static partial nint ERR_reason_error_string(ulong e);
    [LibraryImport(Crypto)] internal static partial void ERR_clear_error();
    [LibraryImport(Crypto)] internal static partial int OPENSSL_sk_num(nint stack);
    [LibraryImport(Crypto)] internal static partial nint OPENSSL_sk_value(nint stack, int index);

    public static string? Text(nint utf8) => utf8 == 0 ? null : Marshal.PtrToStringUTF8(utf8);

    /// <summary>
    /// The reasons OpenSSL queued on this thread for the call that just failed, oldest first, and
    /// the queue emptied: "peer did not return a certificate", "no cipher match".
    /// </summary>
    public static string Errors()
    {
        var reasons = new StringBuilder();
        for (ulong e; (e = ERR_get_error()) != 0;)
        {
            string reason = Text(ERR_reason_error_string(e)) ?? $"error 0x{e:x}";
            if (reasons.Length > 0) reasons.Append("; ");
            reasons.Append(reason);
        }
        return reasons.Length > 0 ? reasons.ToString() : "unknown error";
    }

    /// <summary>The DER bytes of an X509 (to hand to .NET's certificate reader), the X509 freed.</summary>
    public static byte[]? TakeCertificate(nint x509)
    {
        try { return Der(x509); }
        finally { if (x509 != 0) X509_free(x509); }
    }

    /// <summary>The DER bytes of an X509 that stays its owner's.</summary>
    public static byte[]? Der(nint x509)
    {
        if (x509 == 0) return null;
        byte* der = null;
        int length = i2d_X509(x509, &der);
        if (length <= 0) return null;
        var bytes = new ReadOnlySpan<byte>(der, length).ToArray();
        CRYPTO_free((nint)der, 0, 0);
        return bytes;
    }

    /// <summary>
    /// The first certificate that failed verification during the last handshake step on this
    /// thread: OpenSSL keeps no peer certificate after a failed check, and the message names it.
    /// </summary>
    [ThreadStatic] public static byte[]? FailedCertificate;

    /// <summary>
    /// A bracketed IPv6 host as written, per SSL object: a certificate that names it so (as socat's
    /// string comparison accepts) passes the address check too.
    /// </summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<nint, string> NamesAsWritten = new();

    /// <summary>
    /// SSL_CTX_set_verify's callback: OpenSSL's verdict, the failing certificate noted; an address
    /// mismatch is forgiven when the certificate carries the name as written (<see cref="NamesAsWritten"/>).
    /// </summary>
    [UnmanagedCallersOnly]
    public static int NoteFailedCertificate(int preverifyOk, nint storeContext)
    {
        if (preverifyOk == 0 && X509_STORE_CTX_get_error(storeContext) == X509_V_ERR_IP_ADDRESS_MISMATCH
            && NamesAsWritten.TryGetValue(X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()), out string? written)
            && CertificateText.DnsNames(X509_STORE_CTX_get_current_cert(storeContext)).Contains(written))
        {
            X509_STORE_CTX_set_error(storeContext, 0);
            return 1;
        }
        if (preverifyOk == 0 && FailedCertificate is null) FailedCertificate = Der(X509_STORE_CTX_get_current_cert(storeContext));
        return preverifyOk;
    }
}
