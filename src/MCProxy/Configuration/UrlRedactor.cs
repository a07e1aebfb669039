namespace MCProxy.Configuration;

/// <summary>Takes what may be secret out of a URL before anyone sees it.</summary>
internal static class UrlRedactor
{
    /// <summary>Query parameters whose values are credentials more often than not (compared case-insensitively; also any name ending in one of these after '_' or '-').</summary>
    private static readonly string[] SecretNames =
        ["api_key", "apikey", "key", "token", "access_token", "auth", "secret", "password", "pass", "pwd", "sig", "signature", "code", "client_secret", "session"];

    public static string Redact(Uri url)
    {
        var builder = new UriBuilder(url) { UserName = "", Password = "", Fragment = "" }; // a fragment may carry #access_token=…
        if (builder.Query.Length > 1)
        {
            var parts = builder.Query.TrimStart('?').Split('&');
            for (var i = 0; i < parts.Length; i++)
            {
                var eq = parts[i].IndexOf('=');
                var name = Uri.UnescapeDataString(eq < 0 ? parts[i] : parts[i][..eq]);
                if (eq >= 0 && IsSecretName(name))
                {
                    parts[i] = parts[i][..eq] + "=***";
                }
            }
            builder.Query = string.Join('&', parts);
        }
        return builder.Uri.IsDefaultPort ? builder.Uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.Port, UriFormat.UriEscaped) : builder.Uri.AbsoluteUri;
    }

    private static bool IsSecretName(string name)
    {
        foreach (var secret in SecretNames)
        {
            if (name.Equals(secret, StringComparison.OrdinalIgnoreCase) ||
                name.EndsWith("_" + secret, StringComparison.OrdinalIgnoreCase) ||
                name.EndsWith("-" + secret, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
