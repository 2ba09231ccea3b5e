#pragma once

#include <optional>

#include <nlohmann/json.hpp>
#include <vips/vips8>

namespace msearch::media {

// Returns the camera fields of an image's EXIF data as clean JSON values.
// Strings: "make", "model", "software", "datetime", "datetime_original",
// "datetime_digitized", "lens_model", "artist", "copyright". Numbers:
// "exposure_time" (seconds), "f_number", "iso", "focal_length" (mm),
// "focal_length_35mm" (mm), "gps_latitude" and "gps_longitude" (decimal
// degrees, negative south and west). Absent or empty fields are left out.
nlohmann::json ReadExifFields(const vips::VImage& image);

// Returns the orientation tag (1..8) the file declares: EXIF IFD0
// Orientation, else the TIFF Orientation tag, else XMP tiff:Orientation
// (which is where HEIF files often keep it), or nullopt when there is none.
std::optional<int> ReadDeclaredOrientation(const vips::VImage& image, bool is_tiff);

}  // namespace msearch::media
