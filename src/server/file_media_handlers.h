#pragma once

#include <httplib.h>

#include "server/server_context.h"

namespace msearch::server {

// GET /api/v1/files/preview?path=: the media file at `path`, with Range
// support. The path must lie inside a watched directory (one that is not
// detached) or the upload area, or the request gets 403, and it must have an
// extension of processes.file_monitor.supported_extensions.
void HandlePreview(ServerContext& context, const httplib::Request& request,
                   httplib::Response& response);

// GET /api/v1/files/{file_uuid}/media: the catalogued file, with Range support.
void HandleFileMedia(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response);

// POST /api/v1/files/upload: streams the multipart field `file` to disk in
// the upload area. Responds 413 past UploadArea::max_bytes.
void HandleUpload(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response, const httplib::ContentReader& content_reader);

}  // namespace msearch::server
