using System.Net;
using System.Text;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Native;

/// <summary>
/// What the messages say about a certificate, read by libcrypto from its DER bytes: the subject
/// in the usual one-line form (<c>CN=localhost, O=Example</c>) and the names it is for (its
/// common name and its subjectAltName DNS names and addresses).
/// </summary>
internal static unsafe class CertificateText
{
    private const int NID_commonName = 13, NID_subject_alt_name = 85, GEN_DNS = 2, GEN_IPADD = 7;

    // RFC 2253 escaping of the values, "CN=…, O=…" with the most specific part first, UTF-8 kept.
    private const ulong SubjectFlags = 0x1 | 0x2 | 0x10 /* ASN1_STRFLGS_ESC_2253, ESC_CTRL, UTF8_CONVERT */
        | 0x20000 /* XN_FLAG_SEP_CPLUS_SPC */ | 0x100000 /* XN_FLAG_DN_REV */;

    /// <summary>The subject and the quoted names; null when the bytes are no certificate.</summary>
    public static (string Subject, string Names)? Describe(byte[] der)
    {
        nint x509;
        fixed (byte* p = der)
        {
            byte* cursor = p;
            x509 = d2i_X509(0, &cursor, der.Length);
        }
        if (x509 == 0)
        {
            ERR_clear_error();
            return null;
        }
        try
        {
            return (Subject(x509), Names(x509));
        }
        finally
        {
            X509_free(x509);
        }
    }

    private static string Subject(nint x509)
    {
        nint bio = BIO_new(BIO_s_mem());
        try
        {
            X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0, SubjectFlags);
            byte* text = stackalloc byte[1024];
            int n = BIO_read(bio, text, 1024);
            return n > 0 ? Encoding.UTF8.GetString(text, n) : "";
        }
        finally
        {
            BIO_free(bio);
        }
    }

    private static string Names(nint x509)
    {
        var names = new List<string>();
        byte* common = stackalloc byte[256];
        int length = X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, common, 256);
        if (length > 0) names.Add(Encoding.UTF8.GetString(common, length));
        nint alternatives = X509_get_ext_d2i(x509, NID_subject_alt_name, 0, 0);
        if (alternatives != 0)
        {
            try
            {
                for (int i = 0; i < OPENSSL_sk_num(alternatives); i++)
                {
                    // GENERAL_NAME: an int type, then (pointer-aligned) a pointer to its value.
                    nint entry = OPENSSL_sk_value(alternatives, i);
                    int type = *(int*)entry;
                    nint value = *(nint*)(entry + sizeof(nint));
                    var bytes = new ReadOnlySpan<byte>(ASN1_STRING_get0_data(value), ASN1_STRING_length(value));
                    if (type == GEN_DNS) names.Add(Encoding.ASCII.GetString(bytes));
                    else if (type == GEN_IPADD && bytes.Length is 4 or 16) names.Add(new IPAddress(bytes).ToString());
                }
            }
            finally
            {
                GENERAL_NAMES_free(alternatives);
            }
        }
        return string.Join(", ", names.Distinct().Select(n => $"\"{n}\""));
    }
}
