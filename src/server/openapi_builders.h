#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

// Small helpers that keep the OpenAPI document readable. Internal to the
// openapi_*.cc files.
namespace msearch::server::openapi {

using Json = nlohmann::json;
using Fields = std::initializer_list<std::pair<const std::string, Json>>;

inline Json Ref(std::string_view schema) {
  return Json::object({{"$ref", "#/components/schemas/" + std::string(schema)}});
}

inline Json Typed(std::string_view type, std::string_view description) {
  Json schema = Json::object({{"type", type}});
  if (!description.empty()) schema["description"] = description;
  return schema;
}
inline Json String(std::string_view description = "") { return Typed("string", description); }
inline Json Integer(std::string_view description = "") { return Typed("integer", description); }
inline Json Number(std::string_view description = "") { return Typed("number", description); }
inline Json Boolean(std::string_view description = "") { return Typed("boolean", description); }
inline Json DateTime(std::string_view description = "") {
  Json schema = String(description);
  schema["format"] = "date-time";
  return schema;
}
inline Json Nullable(Json schema) {
  schema["nullable"] = true;
  return schema;
}
inline Json Enum(std::initializer_list<std::string_view> values,
                 std::string_view description = "") {
  Json schema = String(description);
  schema["enum"] = Json::array();
  for (std::string_view value : values) schema["enum"].push_back(value);
  return schema;
}
inline Json IntRange(int64_t min, int64_t max, std::string_view description = "") {
  Json schema = Integer(description);
  schema["minimum"] = min;
  schema["maximum"] = max;
  return schema;
}
inline Json Array(Json items, std::string_view description = "") {
  Json schema = Typed("array", description);
  schema["items"] = std::move(items);
  return schema;
}
// An object with these properties. `required` lists the ones always present.
inline Json Object(Fields properties, std::initializer_list<std::string_view> required = {},
                   std::string_view description = "") {
  Json schema = Typed("object", description);
  schema["properties"] = Json::object();
  for (const auto& [name, property] : properties) schema["properties"][name] = property;
  if (required.size() > 0) {
    schema["required"] = Json::array();
    for (std::string_view name : required) schema["required"].push_back(name);
  }
  return schema;
}
// An object whose keys are free, e.g. counts by name.
inline Json Map(Json values, std::string_view description = "") {
  Json schema = Typed("object", description);
  schema["additionalProperties"] = std::move(values);
  return schema;
}
inline Json AnyObject(std::string_view description = "") {
  return Map(Json::object(), description);
}

inline Json Parameter(std::string_view in, std::string_view name, Json schema,
                      std::string_view description, bool required = false) {
  return Json::object({{"in", in},
                       {"name", name},
                       {"schema", std::move(schema)},
                       {"description", description},
                       {"required", required}});
}
inline Json Query(std::string_view name, Json schema, std::string_view description,
                  bool required = false) {
  return Parameter("query", name, std::move(schema), description, required);
}
inline Json Path(std::string_view name, Json schema, std::string_view description) {
  return Parameter("path", name, std::move(schema), description, true);
}

inline Json JsonBody(Json schema, std::string_view description = "") {
  Json body = Json::object(
      {{"required", true},
       {"content", Json::object({{"application/json", Json::object({{"schema", schema}})}})}});
  if (!description.empty()) body["description"] = description;
  return body;
}
// A form sent url-encoded or as multipart/form-data.
inline Json FormBody(Json schema, bool required = true) {
  return Json::object(
      {{"required", required},
       {"content",
        Json::object({{"application/x-www-form-urlencoded", Json::object({{"schema", schema}})},
                      {"multipart/form-data", Json::object({{"schema", schema}})}})}});
}
inline Json MultipartBody(Json schema) {
  return Json::object(
      {{"required", true},
       {"content", Json::object({{"multipart/form-data", Json::object({{"schema", schema}})}})}});
}

inline Json JsonResponse(Json schema, std::string_view description = "Success") {
  return Json::object(
      {{"description", description},
       {"content", Json::object({{"application/json", Json::object({{"schema", schema}})}})}});
}
inline Json BinaryResponse(std::string_view media_type, std::string_view description) {
  Json schema = Json::object({{"type", "string"}, {"format", "binary"}});
  return Json::object(
      {{"description", description},
       {"content", Json::object({{media_type, Json::object({{"schema", schema}})}})}});
}
inline Json ErrorRef(int status) {
  return Json::object({{"$ref", "#/components/responses/Error" + std::to_string(status)}});
}

// One operation. `responses` contains the success responses, and each
// status in `errors` adds the shared ErrorResponse of that status.
inline Json Operation(std::string_view tag, std::string_view summary, Json parameters,
                      Json request_body, Json responses, std::initializer_list<int> errors) {
  Json operation = Json::object({{"tags", Json::array({tag})}, {"summary", summary}});
  if (!parameters.is_null() && !parameters.empty()) operation["parameters"] = parameters;
  if (!request_body.is_null()) operation["requestBody"] = std::move(request_body);
  for (int status : errors) responses[std::to_string(status)] = ErrorRef(status);
  operation["responses"] = std::move(responses);
  return operation;
}

}  // namespace msearch::server::openapi
