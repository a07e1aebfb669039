using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// The top-level <c>audit</c> section. Audit records always go to the log (syslog MSGID <c>audit</c>); with
/// <see cref="File"/> they also go to a JSONL file rotated at <see cref="MaxBytes"/>, keeping <see cref="Keep"/>
/// rotated files besides the current one. Arguments are recorded only as their SHA-256 unless
/// <see cref="IncludeArguments"/>.
/// </summary>
internal sealed record AuditConfig(string? File, long MaxBytes, int Keep, bool IncludeArguments)
{
    public static readonly AuditConfig Default = new(null, 10 * 1024 * 1024, 5, false);

    public static AuditConfig? Parse(JsonElement audit, List<ConfigError> errors)
    {
        void Error(string path, string message) => errors.Add(new ConfigError(null, path, message));
        if (audit.ValueKind != JsonValueKind.Object)
        {
            Error("$.audit", "\"audit\" must be an object: {\"file\": \"/var/lib/mcproxy/audit.jsonl\", \"maxBytes\": 10485760, \"keep\": 5}");
            return null;
        }
        var result = Default;
        foreach (var property in audit.EnumerateObject())
        {
            var path = $"$.audit.{property.Name}";
            switch (property.Name)
            {
                case "file" when property.Value.ValueKind == JsonValueKind.String && property.Value.GetString()!.Length > 0:
                    result = result with { File = property.Value.GetString() };
                    break;
                case "maxBytes" when property.Value.TryGetInt64(out var max) && max >= 4096:
                    result = result with { MaxBytes = max };
                    break;
                case "keep" when property.Value.TryGetInt32(out var keep) && keep is >= 0 and <= 100:
                    result = result with { Keep = keep };
                    break;
                case "includeArguments" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    result = result with { IncludeArguments = property.Value.GetBoolean() };
                    break;
                case "file" or "maxBytes" or "keep" or "includeArguments":
                    Error(path, property.Name switch
                    {
                        "file" => "\"file\" must be a path",
                        "maxBytes" => "\"maxBytes\" must be a number of bytes, at least 4096",
                        "keep" => "\"keep\" must be a number from 0 to 100",
                        _ => "\"includeArguments\" must be true or false",
                    });
                    break;
                default:
                    Error(path, $"unknown setting \"{property.Name}\": use \"file\", \"maxBytes\", \"keep\" or \"includeArguments\"");
                    break;
            }
        }
        return result;
    }
}
