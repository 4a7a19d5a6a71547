using System.Net;
using System.Text;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Native;

/// <summary>
/// What the messages and a child program's variables say about a certificate, read by libcrypto:
/// the subject in the usual one-line form (<c>CN=localhost, O=Example</c>), the names it is for
/// (its common name and its subjectAltName DNS names and addresses), and socat's SOCAT_OPENSSL_X509_*.
/// </summary>
internal static unsafe class CertificateText
{
    private const int NID_commonName = 13, NID_subject_alt_name = 85, GEN_DNS = 2, GEN_IPADD = 7;

    // RFC 2253 escaping of the values, "CN=…, O=…" with the most specific part first, UTF-8 kept.
    private const ulong SubjectFlags = 0x1 | 0x2 | 0x10 /* ASN1_STRFLGS_ESC_2253, ESC_CTRL, UTF8_CONVERT */
        | 0x20000 /* XN_FLAG_SEP_CPLUS_SPC */ | 0x100000 /* XN_FLAG_DN_REV */;

    // socat's form for its variables, XN_FLAG_ONELINE: "C = DE, O = Example, CN = host".
    private const ulong OneLineFlags = 0x317 /* ASN1_STRFLGS_RFC2253 */ | 0x8 /* ESC_QUOTE */ | 0x20000 /* SEP_CPLUS_SPC */ | 0x800000 /* SPC_EQ */;

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
            return Describe(x509);
        }
        finally
        {
            X509_free(x509);
        }
    }

    /// <inheritdoc cref="Describe(byte[])"/>
    public static (string Subject, string Names) Describe(nint x509) => (Subject(x509), Names(x509));

    /// <summary>The subject in the one-line form of the messages: <c>CN=localhost, O=Example</c>.</summary>
    public static string Subject(nint x509) => Print(X509_get_subject_name(x509), SubjectFlags);

    /// <summary>
    /// socat's variables about a peer certificate (without the SOCAT_ prefix): OPENSSL_X509_SUBJECT,
    /// OPENSSL_X509_ISSUER, one OPENSSL_X509_&lt;FIELD&gt; per subject field (values of a repeated
    /// field joined by " // "), and when the certificate was checked, the subjectAltName entries as
    /// socat's check reads them: in order, up to the one that matches <paramref name="checkedName"/>.
    /// </summary>
    public static void Export(nint x509, bool verified, string? checkedName, List<KeyValuePair<string, string>> variables)
    {
        nint subject = X509_get_subject_name(x509);
        variables.Add(new("OPENSSL_X509_SUBJECT", Print(subject, OneLineFlags)));
        variables.Add(new("OPENSSL_X509_ISSUER", Print(X509_get_issuer_name(x509), OneLineFlags)));
        var fields = new List<(string Name, string Value)>();
        for (int i = 0; i < X509_NAME_entry_count(subject); i++)
        {
            nint entry = X509_NAME_get_entry(subject, i);
            string? name = Text(OBJ_nid2ln(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))));
            if (name is not null && Utf8(X509_NAME_ENTRY_get_data(entry)) is { } value) fields.Add((name.ToUpperInvariant(), value));
        }
        foreach (var group in fields.GroupBy(f => f.Name))
            variables.Add(new($"OPENSSL_X509_{group.Key}", string.Join(" // ", group.Select(f => f.Value))));
        if (verified) ExportAlternativeNames(x509, checkedName, variables);
    }

    private static void ExportAlternativeNames(nint x509, string? checkedName, List<KeyValuePair<string, string>> variables)
    {
        nint alternatives = X509_get_ext_d2i(x509, NID_subject_alt_name, 0, 0);
        if (alternatives == 0) return;
        var dns = new List<string>();
        var addresses = new List<string>();
        try
        {
            foreach (var (type, value) in Entries(alternatives))
            {
                (type == GEN_DNS ? dns : addresses).Add(value);
                if (string.Equals(value, checkedName, StringComparison.OrdinalIgnoreCase)) break;
            }
        }
        finally
        {
            GENERAL_NAMES_free(alternatives);
        }
        if (dns.Count > 0) variables.Add(new("OPENSSL_X509V3_SUBJECTALTNAME_DNS", string.Join(" // ", dns)));
        if (addresses.Count > 0) variables.Add(new("OPENSSL_X509V3_SUBJECTALTNAME_IPADD", string.Join(" // ", addresses)));
    }

    /// <summary>The DNS names and IP addresses of a GENERAL_NAMES stack, in order.</summary>
    private static List<(int Type, string Value)> Entries(nint alternatives)
    {
        var entries = new List<(int, string)>();
        for (int i = 0; i < OPENSSL_sk_num(alternatives); i++)
        {
            // GENERAL_NAME: an int type, then (pointer-aligned) a pointer to its value.
            nint entry = OPENSSL_sk_value(alternatives, i);
            int type = *(int*)entry;
            nint value = *(nint*)(entry + sizeof(nint));
            var bytes = new ReadOnlySpan<byte>(ASN1_STRING_get0_data(value), ASN1_STRING_length(value));
            if (type == GEN_DNS) entries.Add((type, Encoding.ASCII.GetString(bytes)));
            else if (type == GEN_IPADD && bytes.Length is 4 or 16) entries.Add((type, new IPAddress(bytes).ToString()));
        }
        return entries;
    }

    private static string? Utf8(nint text)
    {
        byte* utf8 = null;
        int n = ASN1_STRING_to_UTF8(&utf8, text);
        if (n < 0) return null;
        string value = Encoding.UTF8.GetString(utf8, n);
        CRYPTO_free((nint)utf8, 0, 0);
        return value;
    }

    private static string Print(nint name, ulong flags)
    {
        nint bio = BIO_new(BIO_s_mem());
        try
        {
            X509_NAME_print_ex(bio, name, 0, flags);
            byte* text = stackalloc byte[1024];
            int n = BIO_read(bio, text, 1024);
            return n > 0 ? Encoding.UTF8.GetString(text, n) : "";
        }
        finally
        {
            BIO_free(bio);
        }
    }

    private static string Names(nint x509) => string.Join(", ", NameList(x509, addresses: true).Distinct().Select(n => $"\"{n}\""));

    /// <summary>The common name and the DNS names a certificate is for, as socat compares them (exact strings).</summary>
    public static List<string> DnsNames(nint x509) => NameList(x509, addresses: false);

    private static List<string> NameList(nint x509, bool addresses)
    {
        var names = new List<string>();
        byte* common = stackalloc byte[256];
        int length = X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, common, 256);
        if (length > 0) names.Add(Encoding.UTF8.GetString(common, length));
        nint alternatives = X509_get_ext_d2i(x509, NID_subject_alt_name, 0, 0);
        if (alternatives != 0)
        {
            try { names.AddRange(Entries(alternatives).Where(e => addresses || e.Type == GEN_DNS).Select(e => e.Value)); }
            finally { GENERAL_NAMES_free(alternatives); }
        }
        return names;
    }
}
