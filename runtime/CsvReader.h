// Reads a numeric CSV file as a classification data set.
#pragma once

#include <string>

#include "runtime/Dataset.h"

namespace sigma {

// Comma-separated numbers, one sample per row; the last column is the
// integer class label (>= 0), the others are the features (sampleShape
// {columns - 1}). A first row that is not all numbers is a header and is
// skipped; blank lines are skipped; numClasses = max label + 1. Throws
// sigma::Error naming FILE:LINE (and :COLUMN for a bad value) on ragged
// rows, non-numeric values, bad labels or a file without data rows.
Dataset loadCsv(const std::string& path);

}  // namespace sigma
