using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// Validates the <c>auth</c> section, collecting every problem with its JSON path. Any problem rejects the whole
/// section: the last good one keeps running (an edit never half-applies a security policy).
/// </summary>
internal static class AuthParser
{
    public static AuthConfig? Parse(JsonElement auth, EnvironmentSource environment, List<ConfigError> errors)
    {
        void Error(string path, string message) => errors.Add(new ConfigError(null, path, message));
        if (auth.ValueKind != JsonValueKind.Object)
        {
            Error("$.auth", "\"auth\" must be an object with \"tokens\" (and optionally \"roles\", \"rateLimit\")");
            return null;
        }
        foreach (var property in auth.EnumerateObject())
        {
            if (property.Name is not ("tokens" or "roles" or "rateLimit" or "jwt"))
            {
                Error($"$.auth.{property.Name}", $"unknown setting \"{property.Name}\": use \"tokens\", \"jwt\", \"roles\" or \"rateLimit\"");
            }
        }
        var roles = new Dictionary<string, AccessRules>(StringComparer.Ordinal);
        if (auth.TryGetProperty("roles", out var rolesElement))
        {
            if (rolesElement.ValueKind != JsonValueKind.Object)
            {
                Error("$.auth.roles", "\"roles\" must be an object: {\"reader\": {\"allow\": [...], \"deny\": [...]}}");
            }
            else
            {
                foreach (var role in rolesElement.EnumerateObject())
                {
                    roles[role.Name] = Rules(role.Value, $"$.auth.roles.{role.Name}", Error);
                }
            }
        }
        JwtConfig? jwt = null;
        if (auth.TryGetProperty("jwt", out var jwtElement))
        {
            jwt = Jwt(jwtElement, environment, Error);
        }
        var tokens = new List<TokenIdentityConfig>();
        var hasTokens = auth.TryGetProperty("tokens", out var tokensElement);
        var hasJwt = auth.TryGetProperty("jwt", out _);
        if (hasTokens && tokensElement.ValueKind != JsonValueKind.Array ||
            !hasJwt && (!hasTokens || tokensElement.GetArrayLength() == 0))
        {
            Error("$.auth.tokens", "\"tokens\" must be a non-empty array (or configure \"jwt\"): [{\"name\": \"ci-bot\", \"token\": \"${CI_BOT_TOKEN}\", \"allow\": [\"*\"]}]");
        }
        else if (hasTokens && tokensElement.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var entry in tokensElement.EnumerateArray())
            {
                var path = $"$.auth.tokens[{i++}]";
                if (Token(entry, path, environment, roles, Error) is { } token)
                {
                    tokens.Add(token);
                }
            }
            foreach (var duplicate in tokens.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                Error("$.auth.tokens", $"the name '{duplicate.Key}' is used by {duplicate.Count()} tokens: every identity needs its own name");
            }
            foreach (var duplicate in tokens.GroupBy(t => Convert.ToHexString(t.TokenSha256)).Where(g => g.Count() > 1))
            {
                Error("$.auth.tokens", $"identities {string.Join(", ", duplicate.Select(t => $"'{t.Name}'"))} share one token: give each its own");
            }
        }
        int? perMinute = null;
        if (auth.TryGetProperty("rateLimit", out var rate))
        {
            if (rate.ValueKind != JsonValueKind.Object || !rate.TryGetProperty("perIdentityPerMinute", out var limit) ||
                !limit.TryGetInt32(out var n) || n < 1)
            {
                Error("$.auth.rateLimit", "\"rateLimit\" must be {\"perIdentityPerMinute\": N} with N ≥ 1");
            }
            else
            {
                perMinute = n;
            }
        }
        return new AuthConfig(tokens, roles, perMinute, jwt);
    }

    private static JwtConfig? Jwt(JsonElement element, EnvironmentSource environment, Action<string, string> error)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            error("$.auth.jwt", "\"jwt\" must be an object with \"issuer\", \"audience\" and \"jwksUrl\"");
            return null;
        }
        string? Text(string member, bool required, string? fallback = null)
        {
            if (!element.TryGetProperty(member, out var value))
            {
                if (required)
                {
                    error($"$.auth.jwt.{member}", $"missing \"{member}\"");
                }
                return fallback;
            }
            var unset = new List<string>();
            var text = value.ValueKind == JsonValueKind.String ? VariableExpander.Expand(value.GetString()!, environment.Lookup, unset) : null;
            if (unset.Count > 0 || string.IsNullOrWhiteSpace(text))
            {
                error($"$.auth.jwt.{member}", unset.Count > 0 ? $"environment variable '{unset[0]}' is not set" : $"\"{member}\" must be a non-empty string");
                return null;
            }
            return text;
        }
        var issuer = Text("issuer", required: true);
        var audience = Text("audience", required: true);
        var jwks = Text("jwksUrl", required: true);
        var nameClaim = Text("nameClaim", required: false, "sub");
        var rolesClaim = Text("rolesClaim", required: false, "roles");
        Uri? uri = null;
        if (jwks is not null)
        {
            if (!Uri.TryCreate(jwks, UriKind.Absolute, out uri) || uri.Scheme is not ("https" or "http"))
            {
                error("$.auth.jwt.jwksUrl", "\"jwksUrl\" must be an https:// URL (the identity provider's JWKS endpoint)");
                uri = null;
            }
            else if (uri.Scheme == "http" && !uri.IsLoopback)
            {
                // Keys fetched in clear text could be swapped by anyone on the path: only this machine may serve them so.
                error("$.auth.jwt.jwksUrl", "an http:// jwksUrl is allowed only on loopback: use https://");
                uri = null;
            }
        }
        return issuer is null || audience is null || uri is null || nameClaim is null || rolesClaim is null
            ? null
            : new JwtConfig(issuer, audience, uri, nameClaim, rolesClaim);
    }

    private static TokenIdentityConfig? Token(JsonElement entry, string path, EnvironmentSource environment,
        IReadOnlyDictionary<string, AccessRules> roles, Action<string, string> error)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            error(path, "a token entry must be an object with \"name\" and \"token\" or \"tokenSha256\"");
            return null;
        }
        var name = entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (string.IsNullOrWhiteSpace(name))
        {
            error($"{path}.name", "missing \"name\": the identity the token stands for (it appears in the audit log)");
        }
        byte[]? hash = null;
        var hasToken = entry.TryGetProperty("token", out var tokenElement);
        var hasHash = entry.TryGetProperty("tokenSha256", out var hashElement);
        if (hasToken == hasHash)
        {
            error(path, "give exactly one of \"token\" (e.g. \"${CI_BOT_TOKEN}\") or \"tokenSha256\" (64 hex digits)");
        }
        else if (hasToken)
        {
            var unset = new List<string>();
            var value = tokenElement.ValueKind == JsonValueKind.String
                ? VariableExpander.Expand(tokenElement.GetString()!, environment.Lookup, unset)
                : null;
            if (unset.Count > 0)
            {
                // Names the variable, never a value.
                error($"{path}.token", $"environment variable '{unset[0]}' is not set: set it in the environment or .env");
            }
            else if (value is null || value.Length < 16)
            {
                error($"{path}.token", "a token must be a string of at least 16 characters (e.g. from `openssl rand -hex 32`)");
            }
            else
            {
                hash = SHA256.HashData(Encoding.UTF8.GetBytes(value));
            }
        }
        else if (hashElement.ValueKind != JsonValueKind.String || hashElement.GetString() is not { Length: 64 } hex ||
                 !hex.All(Uri.IsHexDigit))
        {
            error($"{path}.tokenSha256", "\"tokenSha256\" must be 64 hex digits (`printf %s \"$TOKEN\" | sha256sum`)");
        }
        else
        {
            hash = Convert.FromHexString(hex);
        }
        var assigned = new List<string>();
        if (entry.TryGetProperty("roles", out var rolesElement))
        {
            if (rolesElement.ValueKind != JsonValueKind.Array || rolesElement.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
            {
                error($"{path}.roles", "\"roles\" must be an array of role names");
            }
            else
            {
                foreach (var role in rolesElement.EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!roles.ContainsKey(role))
                    {
                        error($"{path}.roles", $"unknown role '{role}': define it under \"auth.roles\"");
                    }
                    assigned.Add(role);
                }
            }
        }
        var rules = Rules(entry, path, error, optional: true);
        if (rules.Allow.Count == 0 && assigned.Count == 0)
        {
            error(path, "the identity can use nothing: give it \"allow\" globs (e.g. [\"*\"]) or \"roles\"");
        }
        return name is null || hash is null ? null : new TokenIdentityConfig(name, hash, rules, assigned);
    }

    private static AccessRules Rules(JsonElement element, string path, Action<string, string> error, bool optional = false)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            error(path, "rules must be an object: {\"allow\": [\"memory__*\"], \"deny\": [\"*__delete_*\"]}");
            return AccessRules.None;
        }
        IReadOnlyList<string> List(string member) =>
            Glob.ReadList(element, member, "memory__*", message => error($"{path}.{member}", message)) ?? [];
        var disclosure = element.TryGetProperty("disclosure", out var d)
            ? DisclosureConfig.Parse(d, DisclosureConfig.Default, (field, message) => error($"{path}.{field}", message))
            : null;
        var rules = new AccessRules(List("allow"), List("deny"), disclosure);
        if (!optional && rules.Allow.Count == 0)
        {
            error(path, "a role needs \"allow\" globs, or it grants nothing");
        }
        return rules;
    }
}
