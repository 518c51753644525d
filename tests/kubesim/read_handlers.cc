// get, list (selectors, paging, tables) and watch.
#include <chrono>
#include <cstdlib>

#include "kubesim/api_server.h"
#include "kubesim/encoding.h"
#include "kubesim/json_util.h"
#include "kubesim/selectors.h"
#include "kubesim/table.h"
#include "kubesim/watch_stream.h"

namespace mlgitops::kubesim {

namespace {

constexpr int64_t kDefaultWatchSeconds = 1800;

struct Selection {
  LabelSelector labels;
  FieldSelector fields;
};

ApiResult<Selection> ParseSelection(const HttpRequest& request, const std::string& resource) {
  auto labels = LabelSelector::Parse(request.Query("labelSelector"));
  if (!labels.ok()) return BadRequest(labels.status().message());
  auto fields = FieldSelector::Parse(request.Query("fieldSelector"), resource);
  if (!fields.ok()) return BadRequest(fields.status().message());
  return Selection{std::move(*labels), std::move(*fields)};
}

// Continue tokens are opaque to clients: base64 of "<resourceVersion>/<last ns/name>".
std::string EncodeContinue(int64_t rv, const std::string& last_key) {
  return Base64Encode(std::to_string(rv) + "/" + last_key);
}

bool DecodeContinue(const std::string& token, int64_t* rv, std::string* last_key) {
  auto raw = Base64Decode(token);
  if (!raw) return false;
  size_t slash = raw->find('/');
  if (slash == std::string::npos || slash == 0) return false;
  std::string number = raw->substr(0, slash);
  if (number.find_first_not_of("0123456789") != std::string::npos) return false;
  *rv = std::strtoll(number.c_str(), nullptr, 10);
  *last_key = raw->substr(slash + 1);
  return true;
}

TableOptions TableOptionsFor(const HttpRequest& request, int64_t now) {
  TableOptions options;
  options.now = now;
  options.include_object = request.Query("includeObject");
  if (options.include_object.empty()) options.include_object = "PartialObjectMetadata";
  return options;
}

std::string SlotOf(const ObjectPtr& o) {
  return GetString(o->json(), "metadata.namespace") + "/" + GetString(o->json(), "metadata.name");
}

}  // namespace

HttpResponse ApiServer::Get(const Call& call) {
  ObjectPtr object = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!object) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  if (WantsTable(call.request.accept)) {
    TableOptions options = TableOptionsFor(call.request, Now());
    options.resource_version = GetString(object->json(), "metadata.resourceVersion");
    return JsonResponse(200, RenderTable(call.type, {object}, options));
  }
  if (WantsPartialMetadata(call.request.accept)) {
    return JsonResponse(200, PartialObjectMetadata(object->json()));
  }
  return JsonResponse(200, Render(object, call.type));
}

HttpResponse ApiServer::List(const Call& call) {
  auto selection = ParseSelection(call.request, call.type.plural);
  if (!selection.ok()) return ErrorResponse(selection.error());
  int64_t limit = 0;
  if (call.request.HasQuery("limit")) {
    limit = std::strtoll(call.request.Query("limit").c_str(), nullptr, 10);
    if (limit < 0) limit = 0;
  }
  int64_t list_rv = 0;
  std::vector<ObjectPtr> all = store_.List(call.type.storage_key(), call.namespace_, &list_rv);
  std::string after;
  std::string token = call.request.Query("continue");
  if (!token.empty()) {
    int64_t token_rv = 0;
    if (!DecodeContinue(token, &token_rv, &after)) {
      return ErrorResponse(BadRequest("continue key is not valid: illegal base64 data"));
    }
    if (token_rv < store_.OldestWatchableVersion()) {
      return ErrorResponse(Expired(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter."));
    }
    list_rv = token_rv;  // every page reports the version of the first
  }
  std::vector<ObjectPtr> page;
  int64_t remaining = 0;
  for (const ObjectPtr& o : all) {
    if (!after.empty() && SlotOf(o) <= after) continue;
    if (!selection->labels.Matches(o->json()) || !selection->fields.Matches(o->json())) continue;
    if (limit > 0 && static_cast<int64_t>(page.size()) >= limit) {
      ++remaining;
      continue;
    }
    page.push_back(o);
  }
  std::string next_token =
      remaining > 0 && !page.empty() ? EncodeContinue(list_rv, SlotOf(page.back())) : "";

  if (WantsTable(call.request.accept)) {
    TableOptions options = TableOptionsFor(call.request, Now());
    options.resource_version = std::to_string(list_rv);
    options.continue_token = next_token;
    if (remaining > 0) options.remaining = remaining;
    return JsonResponse(200, RenderTable(call.type, page, options));
  }
  bool partial = WantsPartialMetadata(call.request.accept);
  std::string out =
      "{\"kind\":" + Quote(partial ? "PartialObjectMetadataList" : call.type.kind + "List") +
      ",\"apiVersion\":" + Quote(partial ? "meta.k8s.io/v1" : call.type.api_version()) +
      ",\"metadata\":{\"resourceVersion\":" + Quote(std::to_string(list_rv));
  if (!next_token.empty()) {
    out += ",\"continue\":" + Quote(next_token) +
           ",\"remainingItemCount\":" + std::to_string(remaining);
  }
  out += "},\"items\":[";
  for (size_t i = 0; i < page.size(); ++i) {
    if (i) out += ',';
    out += partial ? PartialObjectMetadata(page[i]->json()) : Render(page[i], call.type);
  }
  out += "]}";
  return JsonResponse(200, std::move(out));
}

HttpResponse ApiServer::Watch(const Call& call) {
  auto selection = ParseSelection(call.request, call.type.plural);
  if (!selection.ok()) return ErrorResponse(selection.error());
  WatchOptions options;
  options.namespace_ = call.namespace_;
  options.labels = std::move(selection->labels);
  options.fields = std::move(selection->fields);
  options.bookmarks = call.request.QueryBool("allowWatchBookmarks");
  options.table = WantsTable(call.request.accept);
  int64_t timeout = kDefaultWatchSeconds;
  if (call.request.HasQuery("timeoutSeconds")) {
    timeout = std::strtoll(call.request.Query("timeoutSeconds").c_str(), nullptr, 10);
    if (timeout <= 0) timeout = kDefaultWatchSeconds;
  }
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);

  std::string rv_text = call.request.Query("resourceVersion");
  bool send_initial = call.request.QueryBool("sendInitialEvents");
  if (rv_text.empty() || rv_text == "0" || send_initial) {
    // "Get state and start at most recent": current objects first, as ADDED events.
    options.initial = store_.List(call.type.storage_key(), call.namespace_, &options.start_after);
    options.initial_events_end = send_initial && options.bookmarks;
  } else {
    if (rv_text.find_first_not_of("0123456789") != std::string::npos) {
      return ErrorResponse(BadRequest("invalid resource version: " + rv_text));
    }
    options.start_after = std::strtoll(rv_text.c_str(), nullptr, 10);
    int64_t oldest = store_.OldestWatchableVersion();
    if (options.start_after < oldest) {
      return ErrorResponse(
          Expired("too old resource version: " + rv_text + " (" + std::to_string(oldest) + ")"));
    }
  }
  HttpResponse response;
  // The stream parameter also keeps the transport from gzip-buffering events.
  response.content_type = "application/json;stream=watch";
  response.stream = std::make_shared<WatchStream>(&store_, call.type, std::move(options), clock_);
  return response;
}

}  // namespace mlgitops::kubesim
